import { newId } from '../../shared/ids'
import type { Actor } from '../../shared/actors'
import {
  AuditEntry,
  type AuditAction,
  type AuditDetails,
  type AuditOrigin,
  type AuditOriginInput,
  type AuditTarget,
} from '../../shared/audit'
import { actorName } from '../auth/actor-names'
import type { Store, StoreWriter } from '../store/store'

/** Who acts and how their request arrived: what a function that records its own audit entry is told. */
export interface AuditBy {
  actor: Actor
  origin: AuditOrigin
}

/** One action to write to the audit log. */
export interface AuditEvent {
  actor: Actor
  action: AuditAction
  target: AuditTarget
  origin: AuditOriginInput
  details?: AuditDetails
  /** When it happened, if not now: a timeline opened offline is reported later with its own time. */
  at?: number
}

/**
 * Appends `event` to the audit log. Inside a write, pass its writer: the entry then commits or
 * rolls back with the action it records. Outside one, pass the store: the entry is written in a
 * transaction of its own (it writes no change row, so no actor is needed and nothing syncs).
 * The entry is parsed before it is written, so a detail outside the closed set is a bug caught
 * here rather than text left in the log.
 */
export async function recordAudit(to: Store | StoreWriter, event: AuditEvent, now: number = Date.now()): Promise<AuditEntry> {
  if (!('appendAudit' in to)) return (await to.write((w) => recordAudit(w, event, now))).result
  const entry = AuditEntry.parse({
    id: newId(),
    at: event.at ?? now,
    recordedAt: now,
    actor: event.actor,
    actorName: (await actorName(to, event.actor)).slice(0, 200),
    action: event.action,
    target: event.target,
    origin: event.origin,
    details: event.details ?? {},
  })
  await to.appendAudit(entry)
  return entry
}
