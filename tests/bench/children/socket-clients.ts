import { io, type Socket } from 'socket.io-client'
import { SOCKET_PATH, type Poke } from '../../../src/shared/sync'
import { serveParent } from '../rpc'
import { epochNow } from '../stats'

/**
 * Many bare sync clients: socket.io connections speaking the sync protocol (token handshake,
 * pokes), each recording when a poke carrying a given message reached it.
 */

let sockets: Socket[] = []
/** marker → arrival epoch time per client index */
const arrivals = new Map<string, number[]>()

serveParent(
  {
    async connect(args: { serverUrl: string; token: string; count: number }) {
      const started = performance.now()
      const batch = 50
      for (let i = 0; i < args.count; i += batch) {
        const opened = Array.from({ length: Math.min(batch, args.count - i) }, (_, k) => {
          const index = i + k
          const socket = io(args.serverUrl, {
            path: SOCKET_PATH,
            auth: { token: args.token },
            transports: ['websocket'],
            reconnection: false,
            forceNew: true,
          })
          socket.on('poke', (poke: Poke) => {
            for (const change of poke.changes) {
              const text = change.entity === 'message' ? (change.data as { text?: string } | null)?.text : undefined
              const times = text ? arrivals.get(text) : undefined
              if (times && times[index] === 0) times[index] = epochNow()
            }
          })
          sockets.push(socket)
          return new Promise<void>((resolve, reject) => {
            socket.once('connect', () => resolve())
            socket.once('connect_error', (err) => reject(new Error(`client ${index}: ${err.message}`)))
          })
        })
        await Promise.all(opened)
      }
      return { ms: performance.now() - started, connected: sockets.filter((s) => s.connected).length }
    },

    /** Starts listening for a message whose text is `marker`. */
    expect(marker: string) {
      arrivals.set(marker, new Array<number>(sockets.length).fill(0))
      return null
    },

    /** Waits until every client has the marked message (or the timeout) and returns the arrival times. */
    async collect(args: { marker: string; timeoutMs: number }) {
      const times = arrivals.get(args.marker)
      if (!times) throw new Error(`not expecting ${args.marker}`)
      const deadline = performance.now() + args.timeoutMs
      while (times.some((t) => t === 0) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5))
      arrivals.delete(args.marker)
      return { times: times.filter((t) => t > 0), missing: times.filter((t) => t === 0).length }
    },

    memory() {
      return process.memoryUsage()
    },
  },
  () => {
    for (const s of sockets) s.disconnect()
    sockets = []
  },
)
