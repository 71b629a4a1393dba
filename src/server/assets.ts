import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { WIDGET_BUILD_OPTIONS } from './connectors/webchat/widget-build'

/*
 * The files the server runs besides its own modules, as found when it runs from its TypeScript
 * sources (vitest, the benchmark, scripts under tsx). The JavaScript build (scripts/build-server.ts)
 * swaps this module for assets.built.ts, so the built server never loads esbuild or tsx.
 */

/** The HTML sanitizer's worker thread. */
export const htmlWorkerFile = fileURLToPath(new URL('./ingest/html-worker-tsx.mjs', import.meta.url))

/** The web chat widget's script, built from src/widget. */
export async function widgetScript(): Promise<string> {
  const result = await build({ ...WIDGET_BUILD_OPTIONS, write: false })
  const code = result.outputFiles[0]?.text
  if (!code) throw new Error('the web chat widget build produced no output')
  return code
}
