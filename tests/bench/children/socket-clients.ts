import { io, type Socket } from 'socket.io-client'
import { SOCKET_PATH, type Ack, type Change, type Poke, type PullResponse } from '../../../src/shared/sync'
import { serveParent } from '../rpc'
import { epochNow } from '../stats'

/**
 * Many bare sync clients: socket.io connections speaking the sync protocol (token handshake,
 * pokes), each recording when a poke carrying a given message reached it. Following clients
 * (`follow`) also keep a cursor and pull as a client core does: a poke that starts at their
 * cursor is applied as it comes, any other poke that reaches past it (a cluster node's nudge
 * after a commit on another node carries no changes) makes them pull from their cursor; a
 * message counts as arrived when the poke or pull answer carrying it reached the client.
 */

let sockets: Socket[] = []
/** marker → arrival epoch time per client index */
const arrivals = new Map<string, number[]>()
/** Following clients: pulls made, and pull errors (the server's error answers, or no answer). */
const followStats = { pulls: 0, errors: [] as string[] }

function noteArrivals(changes: Change[], index: number): void {
  for (const change of changes) {
    const text = change.entity === 'message' ? (change.data as { text?: string } | null)?.text : undefined
    const times = text ? arrivals.get(text) : undefined
    if (times && times[index] === 0) times[index] = epochNow()
  }
}

/** Keeps `socket` at the head of the change log from `cursor` on, one pull in flight at a time. */
function follow(socket: Socket, index: number, start: number): void {
  let cursor = start
  let pulling = false
  let again = false
  const pull = async (): Promise<void> => {
    if (pulling) {
      again = true
      return
    }
    pulling = true
    try {
      do {
        again = false
        followStats.pulls++
        const res = (await socket.timeout(10_000).emitWithAck('pull', { after: cursor, limit: 1_000 })) as Ack<PullResponse>
        if ('error' in res) throw new Error(`${res.error.code}: ${res.error.message}`)
        noteArrivals(res.changes, index)
        cursor = Math.max(cursor, res.cursor)
        if (res.hasMore) again = true
      } while (again)
    } catch (err) {
      followStats.errors.push(`client ${index}: ${err instanceof Error ? err.message : String(err)}`)
    } finally {
      pulling = false
    }
  }
  socket.on('poke', (poke: Poke) => {
    if (poke.after === cursor && !pulling && poke.changes.length > 0) {
      noteArrivals(poke.changes, index)
      cursor = poke.cursor
    } else if (poke.cursor > cursor) {
      void pull()
    }
  })
}

serveParent(
  {
    /** `follow`: the clients keep a cursor starting at `follow.cursor` and pull when a poke does not start at it. */
    async connect(args: { serverUrl: string; token: string; count: number; follow?: { cursor: number } }) {
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
          if (args.follow) follow(socket, index, args.follow.cursor)
          else socket.on('poke', (poke: Poke) => noteArrivals(poke.changes, index))
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

    /** Pulls made by following clients so far, and their errors. */
    followStats() {
      return { pulls: followStats.pulls, errors: followStats.errors.slice(0, 20), errorCount: followStats.errors.length }
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
