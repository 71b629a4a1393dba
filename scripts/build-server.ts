import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { build, type Plugin } from 'esbuild'
import { WIDGET_BUILD_OPTIONS } from '../src/server/connectors/webchat/widget-build'

/**
 * The Node programs bundled to JavaScript in out/ (the second half of `npm run build`, after
 * electron-vite): the sync server, its CLI, the HTML sanitizer's worker, the browser host and the
 * `npm start` launcher, and the chat widget as out/server/widget.js. They run on plain `node`
 * with only the production dependencies installed; those stay external, loaded from
 * node_modules, while development packages they use (faker, for the demo) are bundled in.
 *
 * `--if-stale` builds only when a source is newer than the last build, so `npm run server` and
 * `npm run cli` start at once yet never run an out/ older than the code.
 */

const root = resolve(import.meta.dirname, '..')

const PROGRAMS = {
  'server/main': 'src/server/main.ts',
  'server/cli': 'src/server/cli.ts',
  'server/html-worker': 'src/server/ingest/html-worker.ts',
  'host/main': 'src/host/main.ts',
  'start/main': 'scripts/start.ts',
}
/** What the built programs must never carry: running TypeScript is a development concern. */
const BUILD_TOOLS = ['esbuild', 'tsx']
/** Written after every build: the files it read, for --if-stale. */
const STAMP = '.server-build.json'

interface Stamp {
  inputs: string[]
  outputs: string[]
}

/** Swaps src/server/assets.ts for assets.built.ts, which finds the worker and widget prebuilt in out/. */
const builtAssets: Plugin = {
  name: 'built-assets',
  setup(b) {
    const sources = join(root, 'src/server/assets.ts')
    b.onResolve({ filter: /\/assets$/ }, (args) =>
      resolve(args.resolveDir, `${args.path}.ts`) === sources ? { path: join(root, 'src/server/assets.built.ts') } : undefined,
    )
  },
}

function productionDependencies(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }
  return Object.keys(pkg.dependencies ?? {})
}

/** Builds every program into `outDir` (out/ by default); returns how long it took. */
export async function buildServer(outDir = join(root, 'out')): Promise<number> {
  const started = performance.now()
  for (const dir of [...new Set(Object.keys(PROGRAMS).map((name) => name.split('/')[0]!)), 'chunks']) {
    rmSync(join(outDir, dir), { recursive: true, force: true })
  }
  const [programs, widget] = await Promise.all([
    build({
      absWorkingDir: root,
      entryPoints: PROGRAMS,
      outdir: outDir,
      bundle: true,
      // Shared code and the demo generator (loaded only with --demo) become chunks.
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      format: 'esm',
      platform: 'node',
      target: 'node20.19',
      external: productionDependencies(),
      plugins: [builtAssets],
      metafile: true,
      logLevel: 'warning',
    }),
    build({ ...WIDGET_BUILD_OPTIONS, absWorkingDir: root, outfile: join(outDir, 'server/widget.js'), metafile: true }),
  ])
  const inputs = [...Object.keys(programs.metafile.inputs), ...Object.keys(widget.metafile.inputs)]
  const carried = BUILD_TOOLS.filter((tool) => inputs.some((input) => input.startsWith(`node_modules/${tool}/`)))
  if (carried.length > 0) throw new Error(`the built server would carry ${carried.join(', ')}: import it only from sources`)
  const stamp: Stamp = {
    inputs: [...inputs, 'scripts/build-server.ts', 'package.json'],
    outputs: [...Object.keys(programs.metafile.outputs), ...Object.keys(widget.metafile.outputs)],
  }
  writeFileSync(join(outDir, STAMP), JSON.stringify(stamp))
  return performance.now() - started
}

function isStale(outDir: string): boolean {
  const stampFile = join(outDir, STAMP)
  if (!existsSync(stampFile)) return true
  const builtAt = statSync(stampFile).mtimeMs
  const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as Stamp
  return (
    stamp.outputs.some((file) => !existsSync(join(root, file))) ||
    stamp.inputs.some((file) => !existsSync(join(root, file)) || statSync(join(root, file)).mtimeMs > builtAt)
  )
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  const outDir = join(root, 'out')
  if (!process.argv.includes('--if-stale') || isStale(outDir)) {
    const ms = await buildServer(outDir)
    console.log(`built the server, CLI, browser host and widget into out/ in ${Math.round(ms)} ms`)
  }
}
