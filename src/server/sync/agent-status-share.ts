import { z } from 'zod'
import { AgentStatus } from '../../shared/agent-status'
import type { AgentStatusTracker, SocketCount, SocketCounts } from './agent-status'

/**
 * The nodes of a cluster share who is connected to each, so that a supervisor sees the agents
 * connected to every node, not only to theirs. The nodes do not share socket.io (each pokes its
 * own clients, see cluster.ts), so each node tells the others its socket counts by user through
 * Redis: when they change, and every HEARTBEAT_MS. A node not heard from for SILENT_BEATS
 * heartbeats (it was killed, or lost Redis) is dropped, and its users go offline unless connected
 * elsewhere; a node that stops cleanly says so at once.
 *
 * Each node stamps a change with its own clock when it learns of it, so two nodes may differ by
 * the Redis round trip; a node that joins waits JOIN_WAIT_MS for the others' answers and takes
 * their `since` for the statuses it agrees on, rather than stamping everyone with its start.
 */

export const AGENT_STATUS_CHANNEL = 'threadline:agent-status'
const HEARTBEAT_MS = 5_000
const SILENT_BEATS = 3
/** How long a joining node waits for the others to answer its hello before working out any status. */
const JOIN_WAIT_MS = 500

/** [user id, sockets, of which away]: compact, as every node sends all of its own every few seconds. */
const Counts = z.array(z.tuple([z.string().min(1), z.number().int().positive(), z.number().int().nonnegative()]))

const ShareMessage = z.discriminatedUnion('kind', [
  /** A node that just subscribed asks the others for their counts. */
  z.object({ kind: z.literal('hello'), node: z.string() }),
  z.object({
    kind: z.literal('counts'),
    node: z.string(),
    counts: Counts,
    /** In an answer to `hello`: the node that said it, and what this node knows of each user's status. */
    for: z.string().optional(),
    statuses: z.array(AgentStatus).optional(),
  }),
  z.object({ kind: z.literal('gone'), node: z.string() }),
])
type ShareMessage = z.infer<typeof ShareMessage>

const encode = (counts: SocketCounts): z.infer<typeof Counts> => [...counts].map(([userId, c]) => [userId, c.sockets, c.away])
const decode = (counts: z.infer<typeof Counts>): SocketCounts =>
  new Map(counts.map(([userId, sockets, away]): [string, SocketCount] => [userId, { sockets, away: Math.min(away, sockets) }]))

export interface AgentStatusShare {
  /** A message from the channel (this node's own included, which it ignores). */
  receive(text: string): void
  /** Tells the others this node is leaving. */
  close(): Promise<void>
}

export function shareAgentStatus(options: {
  node: string
  tracker: AgentStatusTracker
  publish(text: string): Promise<unknown>
  log: { warn(obj: object, msg: string): void }
}): AgentStatusShare {
  const { node, tracker, log } = options
  /** Each other node, and when it was last heard from. */
  const peers = new Map<string, number>()
  const send = (message: ShareMessage): Promise<void> =>
    options.publish(JSON.stringify(message)).then(
      () => undefined,
      (err: unknown) => log.warn({ err, kind: message.kind }, 'telling the other nodes who is connected here failed; they learn it at the next heartbeat'),
    )
  const sendCounts = (counts: SocketCounts, answering?: string): Promise<void> =>
    send({ kind: 'counts', node, counts: encode(counts), ...(answering ? { for: answering, statuses: tracker.statuses() } : {}) })

  const offLocal = tracker.onLocalCounts((counts) => void sendCounts(counts))
  const beat = setInterval(() => {
    void sendCounts(tracker.localCounts())
    const now = Date.now()
    for (const [peer, heard] of peers) {
      if (now - heard <= SILENT_BEATS * HEARTBEAT_MS) continue
      peers.delete(peer)
      tracker.setRemote(peer, null)
      log.warn({ peer }, 'another node went silent; its users count as disconnected from it')
    }
  }, HEARTBEAT_MS)
  beat.unref()
  tracker.hold(JOIN_WAIT_MS)
  void send({ kind: 'hello', node })

  return {
    receive(text) {
      let message: ShareMessage
      try {
        message = ShareMessage.parse(JSON.parse(text))
      } catch (err) {
        log.warn({ err }, 'ignored a malformed agent status message from redis')
        return
      }
      if (message.node === node) return
      if (message.kind === 'gone') {
        peers.delete(message.node)
        tracker.setRemote(message.node, null)
        return
      }
      peers.set(message.node, Date.now())
      if (message.kind === 'hello') {
        void sendCounts(tracker.localCounts(), message.node)
        return
      }
      if (message.for === node && message.statuses) tracker.adopt(message.statuses)
      tracker.setRemote(message.node, decode(message.counts))
    },
    async close() {
      clearInterval(beat)
      offLocal()
      await send({ kind: 'gone', node })
    },
  }
}
