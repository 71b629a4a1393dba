import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { z } from 'zod'
import type { ChangeFeed } from './commit'
import { queuesOutbound } from '../connectors/dispatcher'
import type { ConnectorLogger } from '../connectors/connector'
import { AGENT_STATUS_CHANNEL, shareAgentStatus, type AgentStatusShare } from './agent-status-share'
import type { SyncSocketServer } from './socket'

const CHANNEL = 'threadline:commits'

/**
 * What a node tells the others after each commit: how far the change log now reaches, and
 * whether the commit queued a reply for sending (a notice without it, from an older node, may have).
 */
const CommitNotice = z.object({ node: z.string(), seq: z.number().int().nonnegative(), queuesOutbound: z.boolean().default(true) })

/** Another node's commit, as its notice tells it. */
export type RemoteCommit = Omit<z.infer<typeof CommitNotice>, 'node'>

export interface ClusterFanout {
  /** Whether Redis answers, for /ready. */
  ping(): Promise<void>
  /**
   * Calls `listener` with each commit another node announces (the outbound sender reads the
   * queue again when one queued a reply: it is its to send). Returns the unsubscribe.
   */
  onRemoteCommit(listener: (commit: RemoteCommit) => void): () => void
  close(): Promise<void>
}

/**
 * Several nodes behind one load balancer share live updates through Redis. A node that commits
 * publishes "now at seq N"; every other node reads the changes up to N from the database once and
 * pokes its own clients with them, as with its own commits (see SyncSocketServer.catchUp). The
 * database stays the only source of changes, so a notice lost with Redis or with a dying node
 * costs latency, never data: the next notice or the client's next pull catches up.
 *
 * Who is connected where travels on a channel of its own (agent-status-share.ts).
 */
export async function attachClusterFanout(options: {
  redisUrl: string
  sockets: Pick<SyncSocketServer, 'catchUp' | 'agentStatus'>
  feed: ChangeFeed
  log: Pick<ConnectorLogger, 'warn'>
}): Promise<ClusterFanout> {
  const { sockets, feed, log } = options
  const node = randomUUID()
  // A subscribed connection may only subscribe, so publishing takes a second one.
  const connect = (role: string): Redis =>
    new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectionName: `threadline-${role}` })
  const publisher = connect('publisher')
  const subscriber = connect('subscriber')
  for (const [role, client] of [['publisher', publisher], ['subscriber', subscriber]] as const) {
    // ioredis reconnects by itself; an error event only needs to be seen, not to crash the node.
    client.on('error', (err: unknown) => log.warn({ err, role }, 'redis connection error; reconnecting'))
  }
  try {
    await Promise.all([publisher.connect(), subscriber.connect()])
    await subscriber.subscribe(CHANNEL, AGENT_STATUS_CHANNEL)
  } catch (err) {
    publisher.disconnect()
    subscriber.disconnect()
    throw new Error(`cannot reach Redis at ${redactedUrl(options.redisUrl)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }

  // Only once subscribed: the others answer its hello on the channel.
  const agentStatus: AgentStatusShare = shareAgentStatus({
    node,
    tracker: sockets.agentStatus,
    publish: (text) => publisher.publish(AGENT_STATUS_CHANNEL, text),
    log,
  })
  const remoteListeners = new Set<(commit: RemoteCommit) => void>()
  subscriber.on('message', (channel: string, text: string) => {
    if (channel === AGENT_STATUS_CHANNEL) return agentStatus.receive(text)
    if (channel !== CHANNEL) return
    let notice: z.infer<typeof CommitNotice>
    try {
      notice = CommitNotice.parse(JSON.parse(text))
    } catch (err) {
      log.warn({ err }, 'ignored a malformed commit notice from redis')
      return
    }
    if (notice.node === node) return
    sockets.catchUp(notice.seq)
    for (const listener of remoteListeners) {
      try {
        listener({ seq: notice.seq, queuesOutbound: notice.queuesOutbound })
      } catch (err) {
        log.warn({ err, seq: notice.seq }, 'a listener of remote commits failed')
      }
    }
  })

  const unsubscribe = feed.subscribe((changes) => {
    const last = changes.at(-1)
    if (!last) return
    publisher
      .publish(CHANNEL, JSON.stringify({ node, seq: last.seq, queuesOutbound: changes.some(queuesOutbound) }))
      .catch((err: unknown) => log.warn({ err, seq: last.seq }, 'telling the other nodes about a commit failed; their clients catch up at their next pull'))
  })

  return {
    async ping() {
      await publisher.ping()
    },
    onRemoteCommit(listener) {
      remoteListeners.add(listener)
      return () => remoteListeners.delete(listener)
    },
    async close() {
      unsubscribe()
      remoteListeners.clear()
      await agentStatus.close()
      await Promise.allSettled([subscriber.quit(), publisher.quit()])
    },
  }
}

/** The URL without its password, for messages. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'the configured REDIS_URL'
  }
}
