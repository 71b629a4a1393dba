import { connectorActor } from '../../shared/actors'
import type { Channel, Message } from '../../shared/domain'
import type { StoreReader, StoredChange } from '../store/store'
import type { ChangeFeed } from '../sync/commit'
import type { Connector } from './connector'
import { recordDelivery } from './delivery'

export interface DispatcherLogger {
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

/**
 * Sends queued outbound messages through the connector of their channel, after the reply's
 * transaction has committed, and records the outcome (sent / failed) as changes. Sends run one
 * at a time so a message is never handed to a provider twice by this process.
 */
export class OutboundDispatcher {
  private readonly queue: string[] = []
  private readonly queued = new Set<string>()
  private running: Promise<void> | null = null
  private stopped = false
  private unsubscribe: (() => void) | null = null

  constructor(
    private readonly store: StoreReader,
    private readonly feed: ChangeFeed,
    private readonly connectors: readonly Connector[],
    private readonly log: DispatcherLogger,
    /** The messaging rules (consent, caps, quiet hours): why a message may not go, or null. */
    private readonly refusal: (message: Message) => string | null = () => null,
  ) {}

  start(): void {
    this.unsubscribe = this.feed.subscribe((changes) => this.onChanges(changes))
    // Replies queued before a restart are still owed a send.
    for (const { message } of this.store.queuedOutbound(10_000)) this.enqueue(message.id)
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.unsubscribe?.()
    await this.running
  }

  /** The inbox's own connector, else one serving every inbox of that channel. */
  private connectorFor(channel: Channel, inbox: string | undefined): Connector | undefined {
    const serving = this.connectors.filter((c) => c.channels.includes(channel))
    return serving.find((c) => c.inbox !== null && c.inbox === inbox) ?? serving.find((c) => c.inbox === null)
  }

  private onChanges(changes: StoredChange[]): void {
    for (const c of changes) {
      if (c.entity !== 'message' || !c.data) continue
      if (c.data.direction === 'outbound' && c.data.deliveryStatus === 'queued') this.enqueue(c.id)
    }
  }

  private enqueue(messageId: string): void {
    if (this.stopped || this.queued.has(messageId)) return
    this.queued.add(messageId)
    this.queue.push(messageId)
    this.running ??= this.drain().finally(() => {
      this.running = null
    })
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      const id = this.queue.shift()
      if (id === undefined) return
      try {
        await this.send(id)
      } catch (err) {
        this.log.error({ err, messageId: id }, 'outbound send failed unexpectedly')
      } finally {
        this.queued.delete(id)
      }
    }
  }

  private async send(messageId: string): Promise<void> {
    const message = this.store.getMessage(messageId)
    if (!message || message.deliveryStatus !== 'queued') return
    const connector = this.connectorFor(message.channel, this.store.getConversation(message.conversationId)?.inbox)
    if (!connector) return
    // What the send did to the message is the connector's doing.
    const commit = this.feed.as(connectorActor(connector.name))
    const recipient = this.store.recipientFor(message)
    if (!recipient) {
      recordDelivery(commit, messageId, {
        status: 'failed',
        error: `the customer has no ${message.channel} address to send to`,
      })
      return
    }
    // Checked at send time, not when the reply was written: consent may have changed since.
    const refused = this.refusal(message)
    if (refused) {
      this.log.warn({ messageId, reason: refused }, 'outbound message refused by the messaging rules')
      recordDelivery(commit, messageId, { status: 'failed', error: refused })
      return
    }
    try {
      const { externalId, refused } = await connector.send(message, recipient)
      recordDelivery(commit, messageId, { status: 'sent', externalId, ...(refused ? { error: refused.slice(0, 2000) } : {}) })
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err)
      this.log.warn({ messageId, error }, 'outbound message failed')
      recordDelivery(commit, messageId, { status: 'failed', error })
    }
  }
}
