import { fileURLToPath } from 'node:url'
import type { BuildOptions } from 'esbuild'
import { CHAT_SOCKET_PATH } from '../../../shared/chat'

/**
 * How the embeddable widget is built from `src/widget`: one minified IIFE script with the socket
 * path compiled in from the shared contract. The server build writes it to out/server/widget.js;
 * the server running from its sources builds it in memory (assets.ts).
 */
export const WIDGET_BUILD_OPTIONS = {
  entryPoints: [fileURLToPath(new URL('../../../widget/widget.ts', import.meta.url))],
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  legalComments: 'none',
  define: { __CHAT_SOCKET_PATH__: JSON.stringify(CHAT_SOCKET_PATH) },
  logLevel: 'silent',
} satisfies BuildOptions
