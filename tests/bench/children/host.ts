import { startHost, type BrowserHost } from '../../../src/host/host'
import { serveParent } from '../rpc'

/** The browser host (client core + renderer bundle + IPC WebSocket) in its own process. */

let host: BrowserHost | null = null

serveParent(
  {
    /** `ms`: from calling startHost (which opens the cache and starts the core) to serving. */
    async start(args: { dataDir: string; serverUrl: string; token: string; rendererDir: string }) {
      const started = performance.now()
      host = await startHost({ core: { dataDir: args.dataDir, serverUrl: args.serverUrl, token: args.token }, rendererDir: args.rendererDir })
      return { ms: performance.now() - started, url: host.url, origin: host.origin }
    },
    memory() {
      return process.memoryUsage()
    },
  },
  async () => {
    await host?.close()
    host = null
  },
)
