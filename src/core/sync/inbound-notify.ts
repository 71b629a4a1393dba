import type { Database } from 'better-sqlite3'
import type { Message, Note } from '../../shared/domain'
import type { ReportingEvent } from '../../shared/reporting/events'
import type { InboundArrived, MentionItem, SlaBreachesArrived } from '../../shared/ipc'
import type { EntityChange } from '../../shared/sync'
import { getConversation, getCustomer, getEntity, getUser, type MentionRow } from '../db/queries'

/** Inbound messages in a batch that this cache has never held: read BEFORE the batch is applied. */
export function newInboundMessages(db: Database, changes: readonly EntityChange[]): Message[] {
  const found: Message[] = []
  for (const change of changes) {
    if (change.entity !== 'message' || change.op !== 'upsert' || change.data === null) continue
    const message = change.data as Message
    if (message.direction !== 'inbound' || getEntity(db, 'message', message.id)) continue
    found.push(message)
  }
  return found
}

const PREVIEW_CHARS = 140

/** Of those, the ones in conversations assigned to `userId`: read AFTER the batch is applied, so a batch that also assigns counts. */
export function ownInbound(db: Database, messages: readonly Message[], userId: string | null): InboundArrived['items'] {
  if (!userId) return []
  const items: InboundArrived['items'] = []
  for (const m of messages) {
    const conversation = getConversation(db, m.conversationId)
    if (conversation?.assigneeId !== userId) continue
    items.push({
      messageId: m.id,
      conversationId: m.conversationId,
      customerId: conversation.customerId,
      customerName: getCustomer(db, conversation.customerId)?.name ?? m.authorName,
      channel: m.channel,
      preview: m.text.length > PREVIEW_CHARS ? `${m.text.slice(0, PREVIEW_CHARS - 1)}…` : m.text,
    })
  }
  return items
}

/** Notes in a batch that name `userId`, written by someone else, that this cache has never held: read BEFORE the batch is applied. */
export function newMentions(db: Database, changes: readonly EntityChange[], userId: string | null): Note[] {
  if (!userId) return []
  const found: Note[] = []
  for (const change of changes) {
    if (change.entity !== 'note' || change.op !== 'upsert' || change.data === null) continue
    const note = change.data as Note
    if (note.authorId === userId || !note.mentions.includes(userId) || getEntity(db, 'note', note.id)) continue
    found.push(note)
  }
  return found
}

/**
 * SLA breaches in a batch that this cache has never held, in the team of `userId` when they
 * supervise it (supervisors and admins of the team): read BEFORE the batch is applied. Only
 * supervisors and admins receive reporting events at all.
 */
export function newSlaBreaches(db: Database, changes: readonly EntityChange[], userId: string | null): ReportingEvent[] {
  const user = userId ? getUser(db, userId) : null
  if (!user?.team || user.role === 'agent') return []
  const found: ReportingEvent[] = []
  for (const change of changes) {
    if (change.entity !== 'reportingEvent' || change.op !== 'upsert' || change.data === null) continue
    const event = change.data as ReportingEvent
    if (event.kind !== 'sla_breached' || event.slaTarget === null || event.team !== user.team || getEntity(db, 'reportingEvent', event.id)) continue
    found.push(event)
  }
  return found
}

/** Those breaches with their customers' names: read AFTER the batch is applied, so the customer is there. */
export function arrivedSlaBreaches(db: Database, events: readonly ReportingEvent[]): SlaBreachesArrived['items'] {
  return events.flatMap((e) => {
    // An erased customer's events lose their id: nobody left to name.
    if (e.customerId === null || e.slaTarget === null) return []
    const customerName = getCustomer(db, e.customerId)?.name ?? 'Unknown customer'
    return [{ eventId: e.id, conversationId: e.conversationId, customerId: e.customerId, customerName, target: e.slaTarget }]
  })
}

const MENTION_PREVIEW_CHARS = 200

export function mentionItem(row: MentionRow): MentionItem {
  const text = row.note.text.replace(/\s+/g, ' ').trim()
  return {
    noteId: row.note.id,
    conversationId: row.note.conversationId,
    customerId: row.note.customerId,
    customerName: row.customerName ?? 'Unknown customer',
    authorName: row.note.authorName,
    text: text.length > MENTION_PREVIEW_CHARS ? `${text.slice(0, MENTION_PREVIEW_CHARS - 1)}…` : text,
    createdAt: row.note.createdAt,
    unread: row.unread,
  }
}

/** Those notes as the Mentions view lists them: read AFTER the batch is applied, so their customer is there. */
export function arrivedMentions(db: Database, notes: readonly Note[]): MentionItem[] {
  return notes.map((note) => mentionItem({ note, customerName: getCustomer(db, note.customerId)?.name ?? null, unread: true }))
}

/**
 * Decides how arrivals are announced: live changes one batch at a time, but everything a
 * catch-up brings (possibly many pull batches after a reconnect) as ONE batched announcement.
 * The very first sync of a cache announces nothing: that is history, not news.
 */
export class InboundAnnouncer {
  private collected: InboundArrived['items'] | null = null
  private silent = false

  constructor(private readonly announce: (arrived: InboundArrived) => void) {}

  /** A catch-up starts; `firstSync` when the cache had never synced before. */
  beginCatchUp(firstSync: boolean): void {
    this.collected = []
    this.silent = firstSync
  }

  /** False during a first sync, whose arrivals are never announced. */
  get listening(): boolean {
    return !(this.collected && this.silent)
  }

  add(items: InboundArrived['items']): void {
    if (items.length === 0) return
    if (this.collected) this.collected.push(...items)
    else this.announce({ items, batched: false })
  }

  endCatchUp(): void {
    const items = this.collected ?? []
    const silent = this.silent
    this.collected = null
    this.silent = false
    if (!silent && items.length > 0) this.announce({ items, batched: true })
  }
}
