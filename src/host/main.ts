import { resolve } from 'node:path'
import { startHost } from './host'

/**
 * `npm run host`: the desktop client in a browser tab. With THREADLINE_SERVER_URL and
 * THREADLINE_TOKEN it syncs as that token's user; otherwise it uses the sign-in stored in
 * THREADLINE_DATA_DIR, or shows the sign-in screen (THREADLINE_SERVER_URL alone fills it in).
 */
function fail(message: string): never {
  console.error(`threadline host: ${message}`)
  process.exit(1)
}

const serverUrl = process.env.THREADLINE_SERVER_URL || undefined
const token = process.env.THREADLINE_TOKEN || undefined
if (token && !serverUrl) fail('THREADLINE_TOKEN is set without THREADLINE_SERVER_URL (e.g. http://127.0.0.1:4100)')
const rawPort = process.env.THREADLINE_HOST_PORT ?? '0'
const port = Number(rawPort)
if (!Number.isInteger(port) || port < 0 || port > 65_535) fail(`THREADLINE_HOST_PORT must be a port number, got "${rawPort}"`)

const host = await startHost({
  core: { dataDir: resolve(process.env.THREADLINE_DATA_DIR ?? '.data/client'), serverUrl, token },
  port,
}).catch((err: Error) => fail(err.message))

console.log(`Threadline is running at ${host.url}`)

let closing = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) return
    closing = true
    void host.close().then(
      () => process.exit(0),
      (err: Error) => fail(`shutdown failed: ${err.message}`),
    )
  })
}
