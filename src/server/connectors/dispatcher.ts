import { connectorActor } from '../../shared/actors'
import type { Channel, Message } from '../../shared/domain'
import type { ServerMetrics } from '../ops/metrics'
import type { StoreReader, StoredChange } from '../store/store'
import type { ChangeFeed } from '../sync/commit'
import type { Connector } from './connector'
import { recordDelivery } from './delivery'

/** The longest a Node timer waits; a message due later is looked at again then. */
const MAX_TIMER_MS = 2 ** 31 - 1

export interface DispatcherLogger {
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

/** A change that puts a reply in the queue for sending. */
export const queuesOutbound = (c: StoredChange): boolean =>
  c.entity === 'message' && !!c.data && c.data.direction === 'outbound' && c.data.deliveryStatus === 'queued'

/**
 * Sends queued outbound messages through the connector of their channel, after the reply's
 * transaction has committed, and records the outcome (sent / failed) as changes. Sends run one
 * at a time so a message is never handed to a provider twice by this process.
 */
export class OutboundDispatcher {
  private readonly queue: string[] = []
  private readonly queued = new Set<string>()
  private running: Promise<void> | null = null
  private scanning: Promise<void> | null = null
  private scanAgain = false
  /** Messages due later (a survey waits a while after the resolution), by id: sent when their time comes. */
  private readonly held = new Map<string, NodeJS.Timeout>()
  /** Until start(): nothing is sent. */
  private stopped = true
  private unsubscribe: (() => void) | null = null

  constructor(
    private readonly store: StoreReader,
    private readonly feed: ChangeFeed,
    private readonly connectors: readonly Connector[],
    private readonly log: DispatcherLogger,
    private readonly metrics: ServerMetrics,
    /** The messaging rules (consent, caps, quiet hours): why a message may not go, or null. */
    private readonly refusal: (message: Message) => Promise<string | null> = async () => null,
  ) {}

  /**
   * Sends from now on: what is queued already, then what this node commits. Run by one node of
   * the cluster at a time (the `outbound` lease), which also hears of the others' commits through
   * rescan(). Started again after stop(), it reads the queue afresh.
   */
  start(): void {
    this.stopped = false
    this.unsubscribe = this.feed.subscribe((changes) => this.onChanges(changes))
    this.running = this.resume()
  }

  /** Resolves once the send in hand (if any) is recorded; what is still queued waits for the next start. */
  async stop(): Promise<void> {
    this.stopped = true
    this.unsubscribe?.()
    this.unsubscribe = null
    for (const timer of this.held.values()) clearTimeout(timer)
    this.held.clear()
    await Promise.all([this.running, this.scanning])
    this.queue.length = 0
    this.queued.clear()
    this.metrics.outboundQueue.set(0)
  }

  /**
   * Another node committed: it may have queued a reply only this node (the sender) will send.
   * Reads the queued messages again; at most one read runs, and one more is queued behind it.
   */
  rescan(): void {
    if (this.stopped) return
    if (this.scanning) {
      this.scanAgain = true
      return
    }
    this.scanning = (async () => {
      try {
        do {
          this.scanAgain = false
          for (const id of await this.owed()) this.enqueue(id)
        } while (this.scanAgain && !this.stopped)
      } catch (err) {
        this.log.error({ err }, 'reading the queued outbound messages failed')
      } finally {
        this.scanning = null
      }
    })()
  }

  /** Queues the message again when it is due; whoever holds it then reads it afresh (it may have been cancelled). */
  private holdUntilDue(messageId: string, wait: number): void {
    if (this.held.has(messageId)) return
    const timer = setTimeout(() => {
      this.held.delete(messageId)
      this.enqueue(messageId)
    }, Math.min(wait, MAX_TIMER_MS))
    timer.unref()
    this.held.set(messageId, timer)
  }

  /** The inbox's own connector, else one serving every inbox of that channel. */
  private connectorFor(channel: Channel, inbox: string | undefined): Connector | undefined {
    const serving = this.connectors.filter((c) => c.channels.includes(channel))
    return serving.find((c) => c.inbox !== null && c.inbox === inbox) ?? serving.find((c) => c.inbox === null)
  }

  private onChanges(changes: StoredChange[]): void {
    for (const c of changes) if (queuesOutbound(c)) this.enqueue(c.id)
  }

  private enqueue(messageId: string): void {
    if (this.stopped || this.queued.has(messageId)) return
    this.queued.add(messageId)
    this.queue.push(messageId)
    this.metrics.outboundQueue.set(this.queued.size)
    this.running ??= this.drain()
  }

  /** Queued messages not in hand yet, of channels some connector here sends (the others wait for an integration). */
  private async owed(): Promise<string[]> {
    const channels = new Set(this.connectors.flatMap((c) => c.channels))
    return (await this.store.queuedOutboundIds(10_000)).filter((m) => channels.has(m.channel) && !this.queued.has(m.id)).map((m) => m.id)
  }

  /** Replies queued before a restart (or a takeover) are still owed a send, ahead of any queued while they are read. */
  private async resume(): Promise<void> {
    try {
      const owed = (await this.owed()).filter((id) => !this.queued.has(id))
      for (const id of owed) this.queued.add(id)
      this.queue.unshift(...owed)
      this.metrics.outboundQueue.set(this.queued.size)
    } catch (err) {
      this.log.error({ err }, 'reading the queued outbound messages failed')
    }
    await this.drain()
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopped) {
        const id = this.queue.shift()
        if (id === undefined) return
        try {
          await this.send(id)
        } catch (err) {
          this.log.error({ err, messageId: id }, 'outbound send failed unexpectedly')
        } finally {
          this.queued.delete(id)
          this.metrics.outboundQueue.set(this.queued.size)
        }
      }
    } finally {
      // Cleared the moment the queue runs dry, so a message enqueued right after starts a new drain.
      this.running = null
    }
  }

  private async send(messageId: string): Promise<void> {
    const message = await this.store.getMessage(messageId)
    if (!message || message.deliveryStatus !== 'queued') return
    const wait = message.sentAt - Date.now()
    if (wait > 0) return this.holdUntilDue(messageId, wait)
    const conversation = await this.store.getConversation(message.conversationId)
    // A conversation holds several channels: the reply leaves from the inbox it last used on this one.
    const thread = (await this.store.conversationThreads(message.conversationId)).find((t) => t.channel === message.channel)
    const connector = this.connectorFor(message.channel, thread?.inbox ?? conversation?.inbox)
    if (!connector) return
    // What the send did to the message is the connector's doing.
    const commit = this.feed.as(connectorActor(connector.name))
    const recipient = await this.store.recipientFor(message)
    if (!recipient) {
      await recordDelivery(commit, messageId, {
        status: 'failed',
        error: `the customer has no ${message.channel} address to send to`,
      })
      return
    }
    // Checked at send time, not when the reply was written: consent may have changed since.
    const refused = await this.refusal(message)
    if (refused) {
      this.log.warn({ messageId, reason: refused }, 'outbound message refused by the messaging rules')
      await recordDelivery(commit, messageId, { status: 'failed', error: refused })
      return
    }
    try {
      const { externalId, refused } = await connector.send(message, recipient)
      await recordDelivery(commit, messageId, { status: 'sent', externalId, ...(refused ? { error: refused.slice(0, 2000) } : {}) })
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err)
      this.log.warn({ messageId, error }, 'outbound message failed')
      await recordDelivery(commit, messageId, { status: 'failed', error })
    }
  }
}
