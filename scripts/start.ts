import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { startHost, type BrowserHost } from '../src/host/host'
import { DEMO_AGENT_EMAIL, DEMO_AGENTS, DEMO_SUPERVISOR_EMAIL } from '../src/server/demo/generate'
import { demoServerConfig } from '../src/server/demo/inboxes'
import { ensureDemoUsers, seedDemo } from '../src/server/demo/seed'
import { startServer, type SyncServer } from '../src/server/server'

/**
 * `npm start`: the whole product on one machine. Runs the sync server with the demo dataset,
 * then opens the desktop app — or, where Electron's runtime is missing, the browser host.
 *
 * It runs as JavaScript, out/start/main.js, with the server it starts bundled in: `npm start`
 * runs `npm run build` first, every time. The build takes a few seconds, works on a fresh clone,
 * and a stale bundle can never be shown.
 */

/** Two folders up from out/start/. */
const root = resolve(import.meta.dirname, '../..')
const require = createRequire(import.meta.url)
const SERVER_PORT = Number(process.env.THREADLINE_PORT ?? 4100)
const DATA_DIR = join(root, '.data')
const NATIVE_DIR = join(root, '.electron-native')
/** Every demo user signs in with it; printed at start so a second person can sign in by hand. */
const DEMO_PASSWORD = 'threadline-demo'

function log(message: string): void {
  console.log(`[threadline] ${message}`)
}

function hasDisplay(): boolean {
  if (process.platform !== 'linux') return true
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY)
}

function electronBinary(): string | null {
  try {
    // The electron package's main export is the path of its runtime, or it throws when
    // the runtime was never downloaded (installs that skip its postinstall).
    const path = require('electron') as unknown
    return typeof path === 'string' && existsSync(path) ? path : null
  } catch {
    return null
  }
}

function findElectron(): string | null {
  const found = electronBinary()
  if (found) return found
  const installer = join(root, 'node_modules/electron/install.js')
  // One attempt per Electron version: a machine that cannot reach the download will not
  // reach it on the next start either, and each attempt costs a network timeout.
  const attempted = join(NATIVE_DIR, 'electron-download-failed')
  const version = (require('electron/package.json') as { version: string }).version
  if (!existsSync(installer) || (existsSync(attempted) && readFileSync(attempted, 'utf8') === version)) return null
  log('the Electron runtime is not installed; trying to download it once…')
  const result = spawnSync(process.execPath, [installer], { cwd: root, stdio: 'ignore', timeout: 180_000 })
  if (result.status !== 0 || !electronBinary()) {
    mkdirSync(NATIVE_DIR, { recursive: true })
    writeFileSync(attempted, version)
    log('could not download Electron; using the browser host instead (delete .electron-native/ to try again)')
    return null
  }
  return electronBinary()
}

function nodeGypScript(): string | null {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
    join(dirname(process.execPath), 'node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ]
  for (const candidate of candidates) if (candidate && existsSync(candidate)) return candidate
  try {
    return require.resolve('node-gyp/bin/node-gyp.js')
  } catch {
    return null
  }
}

/** An npm `nodedir` setting would make node-gyp build against Node's headers instead of Electron's. */
function withoutNodeHeaders(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => key.toLowerCase() !== 'npm_config_nodedir'))
}

/**
 * better-sqlite3 in node_modules is built for Node's ABI; Electron's utility process needs
 * one built against Electron's headers. Built once per Electron version into
 * .electron-native/, leaving node_modules (which the tests and the server use) untouched.
 */
function electronNativeBinding(): string | null {
  const electronVersion = (require('electron/package.json') as { version: string }).version
  const copy = join(NATIVE_DIR, 'better-sqlite3')
  const binding = join(copy, 'build/Release/better_sqlite3.node')
  const stamp = join(NATIVE_DIR, 'electron-version')
  // The package name too: better-sqlite3 resolves to the multiple-ciphers build, and a copy of
  // plain better-sqlite3 left from before would open the cache without encrypting it.
  const source = dirname(require.resolve('better-sqlite3/package.json'))
  const { name, version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { name: string; version: string }
  const built = `${electronVersion} ${name}@${version}`
  if (existsSync(binding) && existsSync(stamp) && readFileSync(stamp, 'utf8') === built) return binding

  const gyp = nodeGypScript()
  if (!gyp) {
    log('node-gyp was not found, so better-sqlite3 cannot be built for Electron')
    return null
  }
  log(`building better-sqlite3 for Electron ${electronVersion} (first launch only)…`)
  rmSync(NATIVE_DIR, { recursive: true, force: true })
  mkdirSync(NATIVE_DIR, { recursive: true })
  cpSync(source, copy, { recursive: true, filter: (path) => !path.startsWith(join(source, 'build')) })
  const result = spawnSync(
    process.execPath,
    [
      gyp,
      'rebuild',
      '--release',
      '--runtime=electron',
      `--target=${electronVersion}`,
      '--dist-url=https://electronjs.org/headers',
    ],
    { cwd: copy, stdio: 'inherit', env: withoutNodeHeaders(process.env) },
  )
  if (result.status !== 0 || !existsSync(binding)) {
    log('building better-sqlite3 for Electron failed')
    return null
  }
  writeFileSync(stamp, built)
  return binding
}

function openInBrowser(url: string): void {
  if (!hasDisplay()) return
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]]
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true })
    child.on('error', () => log('could not open a browser; open the URL above yourself'))
    child.unref()
  } catch {
    log('could not open a browser; open the URL above yourself')
  }
}

async function main(): Promise<void> {
  mkdirSync(DATA_DIR, { recursive: true })
  const server: SyncServer = await startServer({
    dbPath: join(DATA_DIR, 'server.sqlite'),
    outbound: 'sandbox',
    ...demoServerConfig(`http://localhost:${SERVER_PORT}`),
    port: SERVER_PORT,
  })
  log(`sync server on ${server.url}`)

  if ((await server.counts()).customers === 0) {
    log('seeding the demo dataset (first start only)…')
    await seedDemo(server, { seed: 1, customers: 200 })
  } else if (!(await server.findUserByEmail(DEMO_SUPERVISOR_EMAIL))) {
    await ensureDemoUsers(server)
    log('this demo database was seeded before the demo had a reporting history: delete .data/ and start again to see populated dashboards')
  }
  // The supervisor: the dashboards are theirs, and they can do everything an agent does.
  const supervisor = await server.findUserByEmail(DEMO_SUPERVISOR_EMAIL)
  if (!supervisor) throw new Error(`the demo supervisor ${DEMO_SUPERVISOR_EMAIL} is missing from ${join(DATA_DIR, 'server.sqlite')}`)
  const token = await server.createToken(supervisor.id, 'npm start')
  // Only where none is set yet: a password changed with `npm run cli -- password:set` stays.
  for (const demo of DEMO_AGENTS) {
    const user = await server.findUserByEmail(demo.email)
    if (user && !(await server.hasPassword(user.id))) await server.setPassword(user.id, DEMO_PASSWORD)
  }
  const signInHelp = () =>
    `  To sign in by hand (after signing out, or from a second client): server ${server.url}\n` +
    `  email ${supervisor.email}, password ${DEMO_PASSWORD}. ${supervisor.name} supervises the team; the other demo users use the same\n` +
    `  password: agents such as ${DEMO_AGENT_EMAIL}, and the admin ${DEMO_AGENTS.find((u) => u.role === 'admin')?.email}.\n`

  let host: BrowserHost | null = null
  let electron: ChildProcess | null = null
  let stopping = false

  async function stop(code: number): Promise<void> {
    if (stopping) return
    stopping = true
    log('stopping…')
    if (electron && electron.exitCode === null) electron.kill('SIGTERM')
    await host?.close().catch((err: Error) => log(`host: ${err.message}`))
    await server.close().catch((err: Error) => log(`server: ${err.message}`))
    process.exit(code)
  }
  process.on('SIGINT', () => void stop(0))
  process.on('SIGTERM', () => void stop(0))

  const electronPath = hasDisplay() && process.env.THREADLINE_NO_ELECTRON !== '1' ? findElectron() : null
  const nativeBinding = electronPath ? electronNativeBinding() : null
  if (electronPath && nativeBinding) {
    log(`starting the desktop app as ${supervisor.name}`)
    electron = spawn(electronPath, [root], {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        THREADLINE_SERVER_URL: server.url,
        THREADLINE_TOKEN: token,
        THREADLINE_NATIVE_BINDING: nativeBinding,
        THREADLINE_DATA_DIR: join(DATA_DIR, 'client-electron'),
      },
    })
    electron.on('exit', (code) => void stop(code ?? 0))
    console.log(`\n${signInHelp()}`)
    return
  }

  host = await startHost({
    core: { dataDir: join(DATA_DIR, 'client'), serverUrl: server.url, token },
    rendererDir: join(root, 'out/renderer'),
    port: Number(process.env.THREADLINE_HOST_PORT ?? 0),
  })
  log(`signed in as ${supervisor.name} (${supervisor.email})`)
  console.log(`\n  Threadline is running at:\n\n    ${host.url}\n\n${signInHelp()}\n  Press Ctrl-C to stop.\n`)
  openInBrowser(host.url)
}

main().catch((err: Error) => {
  console.error(`[threadline] ${err.message}`)
  process.exit(1)
})
