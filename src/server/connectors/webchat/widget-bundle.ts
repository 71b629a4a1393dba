import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { CHAT_SOCKET_PATH } from '../../../shared/chat'

export interface WidgetBundle {
  code: string
  etag: string
}

const ENTRY = fileURLToPath(new URL('../../../widget/widget.ts', import.meta.url))

let cached: Promise<WidgetBundle> | null = null

/**
 * The embeddable widget as one minified IIFE script, built from `src/widget` with esbuild (which
 * the server already carries through tsx) the first time a web chat inbox starts, then kept in
 * memory: no build step to forget, and the socket path is compiled in from the shared contract.
 */
export function widgetBundle(): Promise<WidgetBundle> {
  cached ??= build({
    entryPoints: [ENTRY],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    write: false,
    legalComments: 'none',
    define: { __CHAT_SOCKET_PATH__: JSON.stringify(CHAT_SOCKET_PATH) },
    logLevel: 'silent',
  }).then(
    (result) => {
      const code = result.outputFiles[0]?.text
      if (!code) throw new Error('the web chat widget build produced no output')
      return { code, etag: `"${createHash('sha256').update(code).digest('base64url').slice(0, 27)}"` }
    },
    (err: unknown) => {
      cached = null
      throw new Error(`building the web chat widget (${ENTRY}) failed: ${(err as Error).message}`)
    },
  )
  return cached
}
