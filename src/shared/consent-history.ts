import { z } from 'zod'
import { Actor } from './actors'
import { Channel, ConsentKey, Id, Timestamp, type TimelineEvent } from './domain'

/**
 * Where a consent decision came from: a keyword the customer sent (STOP, START), the web chat's
 * pre-chat form, an agent recording what the customer told them, an integration posting through
 * the API, or a channel's own signal (a provider's opt-out).
 */
export const CONSENT_SOURCES = ['keyword', 'pre_chat_form', 'agent', 'integration', 'channel'] as const
export const ConsentSource = z.enum(CONSENT_SOURCES)
export type ConsentSource = z.infer<typeof ConsentSource>

/**
 * One consent decision on one key, as the customer panel lists it and the export holds it. The
 * history is read from the `consent_changed` and `consent_superseded` events, which the server
 * writes in the transaction that changes the customer's consent, so it can never disagree with
 * the current state.
 */
export const ConsentRecord = z.object({
  /** The event that records it. */
  eventId: Id,
  conversationId: Id,
  key: ConsentKey,
  value: z.boolean(),
  /** What the key said before; null when it had never been asked. Null too for a decision not applied. */
  previous: z.boolean().nullable(),
  /** False when a later word of the customer on the key already stood, so this one changed nothing. */
  applied: z.boolean(),
  source: ConsentSource,
  /** The channel the decision arrived by; null for an agent's record. */
  channel: Channel.nullable(),
  keyword: z.string().nullable(),
  /** The message that carried it (a STOP text); null when no message did. */
  messageId: Id.nullable(),
  /** The agent's own words on how the customer said so. */
  note: z.string().nullable(),
  actor: Actor.nullable(),
  actorName: z.string().nullable(),
  /** When the customer said so. */
  at: Timestamp,
  /** When it was stored (later than `at` for a message stored late). */
  recordedAt: Timestamp,
})
export type ConsentRecord = z.infer<typeof ConsentRecord>

/**
 * What a consent event's data holds, loosely: events written before a field existed lack it.
 * `via` names the source where the writer knew it; older events are classified by what they carry.
 */
const ConsentEventData = z.object({
  via: ConsentSource.optional().catch(undefined),
  channel: Channel.optional().catch(undefined),
  keyword: z.string().optional().catch(undefined),
  messageId: Id.optional().catch(undefined),
  note: z.string().optional().catch(undefined),
  actor: Actor.optional().catch(undefined),
  actorName: z.string().optional().catch(undefined),
  saidAt: Timestamp.optional().catch(undefined),
  requestedAt: Timestamp.optional().catch(undefined),
  changes: z.partialRecord(ConsentKey, z.boolean()).optional().catch(undefined),
  previous: z.partialRecord(ConsentKey, z.boolean().nullable()).optional().catch(undefined),
  requested: z.partialRecord(ConsentKey, z.boolean()).optional().catch(undefined),
})
type ConsentEventData = z.infer<typeof ConsentEventData>

function sourceOf(data: ConsentEventData): ConsentSource {
  if (data.via) return data.via
  if (data.keyword) return 'keyword'
  const kind = data.actor?.slice(0, data.actor.indexOf(':'))
  if (kind === 'user') return 'agent'
  if (kind === 'integration') return 'integration'
  return 'channel'
}

/** The consent history in these events, newest first; events of other types are skipped. */
export function consentHistory(events: readonly TimelineEvent[]): ConsentRecord[] {
  const records: ConsentRecord[] = []
  for (const event of events) {
    if (event.type !== 'consent_changed' && event.type !== 'consent_superseded') continue
    const data = ConsentEventData.parse(event.data)
    const applied = event.type === 'consent_changed'
    const decisions = (applied ? data.changes : data.requested) ?? {}
    for (const [key, value] of Object.entries(decisions) as [ConsentKey, boolean][]) {
      records.push({
        eventId: event.id,
        conversationId: event.conversationId,
        key,
        value,
        previous: applied ? (data.previous?.[key] ?? null) : null,
        applied,
        source: sourceOf(data),
        channel: data.channel ?? null,
        keyword: data.keyword ?? null,
        messageId: data.messageId ?? null,
        note: data.note ?? null,
        actor: data.actor ?? null,
        actorName: data.actorName ?? null,
        at: data.saidAt ?? data.requestedAt ?? event.createdAt,
        recordedAt: event.createdAt,
      })
    }
  }
  return records.sort((a, b) => b.at - a.at || b.recordedAt - a.recordedAt)
}
