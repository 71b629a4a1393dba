import { newId } from '../../shared/ids'
import { actorId, actorKind, type Actor } from '../../shared/actors'
import { actorName } from '../auth/actor-names'
import type { ConsentKey, Customer } from '../../shared/domain'
import type { StoreWriter } from '../store/store'
import type { Commit } from '../sync/commit'
import type { AuditOrigin } from '../../shared/audit'
import { recordAudit } from '../audit/record'
import { consentAuditDetails, consentOrigin } from '../audit/consent'

export interface ConsentChange {
  customerId: string
  /** The conversation the request arrived in; the timeline shows the change there. */
  conversationId: string
  changes: Partial<Record<ConsentKey, boolean>>
  /**
   * Where it came from, for the timeline and the consent history: e.g. { channel: 'sms', keyword:
   * 'STOP', externalId, messageId }, or { via: 'agent', note }.
   */
  source: Record<string, unknown>
  /** Who made the change: the connector or integration that carried the customer's request, or a user. */
  actor: Actor
  /** When the customer asked (an SMS's arrival); a message stored late still counts from then. Defaults to `now`. */
  at?: number
  now?: number
  /** How the change reached the server, for the audit log; by default told from the actor. */
  origin?: AuditOrigin
}

/**
 * Updates the customer's consent and records a `consent_changed` event in the same
 * transaction. Nothing is written when the customer's consent already says so.
 */
export function changeConsent(commit: Commit, change: ConsentChange): Promise<Customer | null> {
  return commit((w) => applyConsentChange(w, change))
}

/**
 * The same, inside a transaction the caller already holds (the ingest, which stores the
 * message asking for the change together with the change).
 *
 * The customer's latest word wins per key: a request older than the last one on that key (a
 * STOP retried from the dead letters after a later START) is not applied; a
 * `consent_superseded` event records that it came and why it changed nothing.
 */
export async function applyConsentChange(w: StoreWriter, change: ConsentChange): Promise<Customer | null> {
  const now = change.now ?? Date.now()
  const at = change.at ?? now
  const customer = await w.getCustomer(change.customerId)
  if (!customer) return null
  const lastAt = customer.consentChangedAt ?? {}
  const entries = Object.entries(change.changes) as [ConsentKey, boolean][]
  const isStale = ([key]: [ConsentKey, boolean]) => (lastAt[key] ?? -Infinity) > at
  const superseded = entries.filter(isStale)
  const current = entries.filter((e) => !isStale(e))
  const changed = current.filter(([key, value]) => customer.consent[key] !== value)
  // A repeated STOP changes no value but is still the customer's latest word on the key.
  const restamped = current.filter(([key]) => lastAt[key] !== at)

  let next = customer
  if (changed.length > 0 || restamped.length > 0) {
    next = {
      ...customer,
      consent: { ...customer.consent, ...Object.fromEntries(changed) },
      consentChangedAt: { ...lastAt, ...Object.fromEntries(current.map(([key]) => [key, at])) },
      updatedAt: now,
    }
    await w.put('customer', next)
  }
  // The events name who made the change; a user also as actorId, which clients resolve offline.
  const by = {
    actorId: actorKind(change.actor) === 'user' ? actorId(change.actor) : null,
    data: { actor: change.actor, actorName: await actorName(w, change.actor) },
  }
  if (changed.length > 0) {
    await w.put('event', {
      id: newId(),
      conversationId: change.conversationId,
      customerId: customer.id,
      type: 'consent_changed',
      actorId: by.actorId,
      data: {
        ...change.source,
        ...by.data,
        changes: Object.fromEntries(changed),
        saidAt: at,
        previous: Object.fromEntries(changed.map(([key]) => [key, customer.consent[key] ?? null])),
      },
      createdAt: now,
    })
    await recordAudit(
      w,
      {
        actor: change.actor,
        action: 'consent.changed',
        target: { type: 'customer', id: customer.id },
        origin: change.origin ?? consentOrigin(change.actor),
        details: consentAuditDetails(changed, customer.consent, change.source),
        at,
      },
      now,
    )
  }
  if (superseded.length > 0) {
    await w.put('event', {
      id: newId(),
      conversationId: change.conversationId,
      customerId: customer.id,
      type: 'consent_superseded',
      actorId: by.actorId,
      data: {
        ...change.source,
        ...by.data,
        requested: Object.fromEntries(superseded),
        requestedAt: at,
        // The later word that stands, per key.
        supersededBy: Object.fromEntries(superseded.map(([key]) => [key, { value: customer.consent[key] ?? null, at: lastAt[key] ?? null }])),
      },
      createdAt: now,
    })
  }
  return next
}
