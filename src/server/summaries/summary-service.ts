import { systemActor } from '../../shared/actors'
import type { Summary, SummaryKind } from '../../shared/domain'
import { summaryId, type SummaryItem } from '../../shared/summaries'
import type { ConnectorLogger } from '../connectors/connector'
import type { LeasedWork } from '../ops/leases'
import type { Store, StoredChange } from '../store/store'
import type { ChangeFeed } from '../sync/commit'
import type { SummaryOutcome } from './model-provider'
import type { SummaryAuthor } from './summary-author'
import { callItem, customerHistory, historyOf, type CustomerHistory } from './summary-items'

/**
 * Keeps summaries current, on the one node that holds the `summaries` lease. It follows the
 * change log (so it hears of items committed on every node, and resumes where it stopped after a
 * restart): a customer with new items gets a fresh story once they have been quiet for
 * `debounceMs` (one update for a burst of messages, not one per message) or at the latest
 * `maxWaitMs` after the first; a conversation resolved gets its wrap-up, a call that ended its
 * summary. An agent's request (store: summary_requests) is answered at the next tick, from the
 * customer's whole history; an automatic update reads only the items the story has not read.
 */

export interface SummaryServiceOptions {
  /** Quiet time after a customer's last new item before their story is written (ms). */
  debounceMs: number
  /** The longest a story waits behind a steady stream of items (ms). */
  maxWaitMs: number
  /** How often the log and the requests are read (ms). */
  tickMs: number
  /** Most summaries written per tick, so a flood of items does not hold the node's event loop for long. */
  perTick?: number
  now?: () => number
}

interface Pending {
  first: number
  last: number
  /** The change that first asked for it: the saved cursor stays before it until it is written. */
  seq: number
  /** Asked for by an agent: written at the next tick, debounce or not. */
  now: boolean
}

/** A summary to write now; `requested` when an agent asked for it. */
interface Due {
  id: string
  kind: SummaryKind
  requested: boolean
}

const CURSOR_STATE = ['summaries', 'cursor'] as const
const PAGE = 2_000

const SUMMARY_ACTOR = systemActor('summaries')

const itemsEntity = new Set(['message', 'note', 'call'])

export class SummaryService implements LeasedWork {
  /** The last change read. */
  private cursor = 0
  /** The last change saved as read: everything up to it is written, so a restart resumes after it. */
  private saved = 0
  private timer: NodeJS.Timeout | null = null
  private running: Promise<void> | null = null
  private stopped = true
  private readonly stories = new Map<string, Pending>()
  private readonly wrapUps = new Map<string, Pending>()
  private readonly calls = new Map<string, Pending>()
  private readonly now: () => number
  private readonly perTick: number

  constructor(
    private readonly store: Store,
    private readonly feed: ChangeFeed,
    private readonly author: SummaryAuthor,
    private readonly options: SummaryServiceOptions,
    private readonly log: Pick<ConnectorLogger, 'info' | 'warn' | 'error'>,
  ) {
    this.now = options.now ?? Date.now
    this.perTick = options.perTick ?? 25
  }

  async start(): Promise<void> {
    const saved = await this.store.getConnectorState(...CURSOR_STATE)
    // A store summarized for the first time starts at its newest change: earlier customers get a
    // story when they next write (clients write one from their cache meanwhile), not all at once.
    this.cursor = typeof saved === 'number' ? saved : await this.store.lastSeq()
    this.saved = this.cursor
    this.stopped = false
    this.timer = setInterval(() => void this.tick(), this.options.tickMs)
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.running
  }

  /** One pass: read the log and the requests, write what is due. Never two at once. */
  tick(): Promise<void> {
    this.running ??= this.pass()
      .catch((err: unknown) => this.log.error({ err }, 'writing summaries failed'))
      .finally(() => {
        this.running = null
      })
    return this.running
  }

  private async pass(): Promise<void> {
    await this.readLog()
    const now = this.now()
    for (const customerId of await this.takeRequests()) this.mark(this.stories, customerId, now, this.cursor, true)
    let budget = this.perTick
    for (const { id, kind, requested } of this.due(now)) {
      if (this.stopped || budget-- <= 0) break
      try {
        await this.write(kind, id, requested)
      } catch (err) {
        this.log.error({ err, kind, id }, 'writing a summary failed; it is tried again with the next item')
      }
    }
    await this.saveCursor()
  }

  /**
   * Saves how far the log is done: up to the change before the oldest one still waiting (a
   * summary not written yet), so work held in memory when the node stops is read again by
   * whichever node takes over.
   */
  private async saveCursor(): Promise<void> {
    let safe = this.cursor
    for (const map of [this.stories, this.wrapUps, this.calls]) for (const p of map.values()) safe = Math.min(safe, p.seq - 1)
    if (safe === this.saved) return
    await this.store.write((w) => w.setConnectorState(...CURSOR_STATE, safe))
    this.saved = safe
  }

  private async readLog(): Promise<void> {
    for (;;) {
      const changes = await this.store.changesSince(this.cursor, PAGE)
      if (changes.length === 0) return
      const at = this.now()
      for (const change of changes) this.note(change, at)
      this.cursor = changes.at(-1)!.seq
      if (changes.length < PAGE) return
    }
  }

  private note(change: StoredChange, at: number): void {
    const data = change.data as Record<string, unknown> | null
    if (!data) return
    if (itemsEntity.has(change.entity)) this.mark(this.stories, data.customerId as string, at, change.seq)
    if (change.entity === 'conversation' && data.status === 'resolved') this.mark(this.wrapUps, change.id, at, change.seq)
    if (change.entity === 'call' && data.status === 'completed') this.mark(this.calls, change.id, at, change.seq)
  }

  private mark(map: Map<string, Pending>, id: string, at: number, seq: number, now = false): void {
    const pending = map.get(id)
    if (pending) {
      pending.last = at
      pending.now ||= now
    } else {
      map.set(id, { first: at, last: at, seq, now })
    }
  }

  private async takeRequests(): Promise<string[]> {
    return (await this.store.write((w) => w.takeSummaryRequests(this.perTick))).result
  }

  /** What is due now: asked-for stories first, then whatever has been quiet long enough or waited too long. */
  private *due(now: number): Generator<Due> {
    const ready = (p: Pending): boolean => p.now || now - p.last >= this.options.debounceMs || now - p.first >= this.options.maxWaitMs
    const lists: [Map<string, Pending>, SummaryKind][] = [
      [this.stories, 'customer_story'],
      [this.wrapUps, 'wrap_up'],
      [this.calls, 'call'],
    ]
    for (const [map, kind] of lists) {
      for (const [id, p] of map) if (p.now) yield* this.take(map, id, kind)
    }
    for (const [map, kind] of lists) {
      for (const [id, p] of map) if (ready(p)) yield* this.take(map, id, kind)
    }
  }

  private *take(map: Map<string, Pending>, id: string, kind: SummaryKind): Generator<Due> {
    const pending = map.get(id)
    if (!pending) return
    map.delete(id)
    yield { id, kind, requested: pending.now }
  }

  /** Writes one summary now; null when there is nothing (new) to summarize. */
  private async write(kind: SummaryKind, subjectId: string, requested: boolean): Promise<Summary | null> {
    if (kind === 'customer_story') return this.writeStory(subjectId, requested)
    if (kind === 'wrap_up') return this.writeWrapUp(subjectId)
    return this.writeCall(subjectId)
  }

  /** `requested`: an agent asked for it, so it is written from the whole history, not updated. */
  private async writeStory(customerId: string, requested: boolean): Promise<Summary | null> {
    const customer = await this.store.getCustomer(customerId)
    // A customer merged into another has no conversations left; the target's story tells theirs.
    if (!customer || customer.mergedInto) return null
    const history = await customerHistory(this.store, customerId)
    if (history.items.length === 0) return null
    const id = summaryId('customer_story', customerId)
    const previous = await this.store.getSummary(id)
    const written = await this.author.story(history, previous, { afresh: requested })
    if (!written) return null
    return this.save(id, 'customer_story', customerId, null, null, history, history.items, written)
  }

  private async writeWrapUp(conversationId: string): Promise<Summary | null> {
    const conversation = await this.store.getConversation(conversationId)
    if (!conversation || conversation.status !== 'resolved') return null
    const history = await historyOf(this.store, [conversation])
    if (history.items.length === 0) return null
    const id = summaryId('wrap_up', conversationId)
    const previous = await this.store.getSummary(id)
    // Resolved again with nothing new (a label, a reopen and resolve): the wrap-up still holds.
    if (previous && previous.coversItemId === history.items.at(-1)?.id && previous.itemCount === history.items.length) return null
    const written = await this.author.wrapUp(history)
    return this.save(id, 'wrap_up', conversation.customerId, conversationId, null, history, history.items, written)
  }

  private async writeCall(callId: string): Promise<Summary | null> {
    const call = await this.store.getCall(callId)
    if (!call || call.status !== 'completed') return null
    const item = callItem(call)
    if (item.text === '') return null
    const conversation = await this.store.getConversation(call.conversationId)
    if (!conversation) return null
    const id = summaryId('call', callId)
    const previous = await this.store.getSummary(id)
    if (previous && previous.coversThrough >= call.updatedAt) return null
    const history: CustomerHistory = {
      items: [item],
      inboxOf: new Map([[item.id, conversation.inbox]]),
      conversations: [conversation],
      context: { open: [], conversationCount: 1 },
    }
    const written = await this.author.call(history)
    // A call's summary is as of the call's last change (its notes arrive after it ends).
    return this.save(id, 'call', call.customerId, call.conversationId, callId, history, [{ ...item, at: call.updatedAt }], written)
  }

  private async save(
    id: string,
    kind: SummaryKind,
    customerId: string,
    conversationId: string | null,
    callId: string | null,
    history: CustomerHistory,
    covered: readonly SummaryItem[],
    written: SummaryOutcome,
  ): Promise<Summary | null> {
    const last = covered.at(-1)!
    const summary: Summary = {
      id,
      kind,
      customerId,
      conversationId,
      callId,
      text: written.draft.text,
      facts: written.draft.facts,
      provider: written.provider,
      model: written.model,
      fallbackReason: written.fallbackReason,
      coversItemId: last.id,
      coversThrough: last.at,
      itemCount: covered.length,
      inboxes: [...new Set(history.inboxOf.values())].sort(),
      generatedAt: this.now(),
      updatedOnDevice: null,
    }
    // The customer may have been erased while the summary was being written: it must not outlive them.
    const saved = await this.feed.as(SUMMARY_ACTOR)(async (w) => {
      if (!(await w.getCustomer(customerId))) return false
      await w.put('summary', summary)
      return true
    })
    return saved ? summary : null
  }
}
