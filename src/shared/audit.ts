import { z } from 'zod'
import { ACTOR_KINDS } from './actors'
import { Channel, ConsentKey, Id, Role, Timestamp } from './domain'

/**
 * The audit log: who read or changed what that a privacy officer must be able to answer for.
 * An entry names its target by type and id only and carries a closed set of details, so no
 * customer's name, address or message text can be written into it: the log outlives erasures.
 * Entries are appended and never changed; only the log's own retention prunes them.
 */

/** An actor as `actors.ts` spells it, by a pattern rather than a transform: entries are also sent as REST responses. */
export const AuditActor = z.templateLiteral([z.enum(ACTOR_KINDS), ':', z.string().min(1)])

export const AUDIT_ACTIONS = [
  'timeline.opened',
  'customer.exported',
  'customer.erased',
  'customer.restored',
  'customer.purged',
  'customer.merged',
  'customer.unmerged',
  'consent.changed',
  'user.role_changed',
  'token.created',
  'token.revoked',
  'integration.created',
  'integration.revoked',
  'retention_policy.changed',
  'audit.exported',
] as const
export const AuditAction = z.enum(AUDIT_ACTIONS)
export type AuditAction = z.infer<typeof AuditAction>

export const AUDIT_TARGET_TYPES = ['customer', 'user', 'token', 'integration', 'retention_policy', 'audit_log'] as const
export const AuditTargetType = z.enum(AUDIT_TARGET_TYPES)
export type AuditTargetType = z.infer<typeof AuditTargetType>

export const AuditTarget = z.object({ type: AuditTargetType, id: Id })
export type AuditTarget = z.infer<typeof AuditTarget>

/**
 * How the action reached the server: the REST API (a user's token), the desktop app over its
 * socket, the server's CLI, an integration's token, a customer's own channel (a STOP keyword
 * arriving by SMS), or the server's own scheduled work.
 */
export const AUDIT_VIAS = ['rest', 'app', 'cli', 'integration', 'channel', 'server'] as const
export const AuditVia = z.enum(AUDIT_VIAS)
export type AuditVia = z.infer<typeof AuditVia>

export const AuditOrigin = z.object({
  via: AuditVia,
  ip: z.string().max(64).nullable().default(null),
  userAgent: z.string().max(400).nullable().default(null),
  /** The device, for actions the app made: a device's views are debounced per device. */
  clientId: z.string().max(128).nullable().default(null),
})
export type AuditOrigin = z.output<typeof AuditOrigin>
export type AuditOriginInput = z.input<typeof AuditOrigin>

/** What an entry may say beyond its target: ids, roles, consent values and counts, never free text. */
export const AuditDetails = z.strictObject({
  fromRole: Role.optional(),
  toRole: Role.optional(),
  consent: z.partialRecord(ConsentKey, z.boolean()).optional(),
  previousConsent: z.partialRecord(ConsentKey, z.boolean().nullable()).optional(),
  channel: Channel.optional(),
  /** The keyword the customer sent (STOP, START); a fixed word list, never their message. */
  keyword: z.string().regex(/^[A-Za-z]{1,20}$/).optional(),
  /** The message that carried the request, by id. */
  messageId: Id.optional(),
  /** A merge's other customer: the source when the target is the entry's customer. */
  otherCustomerId: Id.optional(),
  mergeId: Id.optional(),
  /** The user a token belongs to. */
  userId: Id.optional(),
  /** Erasure: when the customer is purged unless restored first. */
  purgeAt: Timestamp.optional(),
  /** Erasure without a grace period. */
  immediate: z.boolean().optional(),
  /** How many rows an export or a bulk action covered. */
  count: z.number().int().nonnegative().optional(),
})
export type AuditDetails = z.infer<typeof AuditDetails>

export const AuditEntry = z.object({
  id: Id,
  /** When it happened: a timeline opened offline keeps the time it was opened. */
  at: Timestamp,
  /** When the server learned of it. */
  recordedAt: Timestamp,
  actor: AuditActor,
  /** The actor's name when the entry was written: users are renamed and removed, the log is not. */
  actorName: z.string().max(200),
  action: AuditAction,
  target: AuditTarget,
  origin: AuditOrigin,
  details: AuditDetails,
})
export type AuditEntry = z.infer<typeof AuditEntry>

/** What a caller hands the log; the store stamps the id and the time it was recorded. */
export const NewAuditEntry = AuditEntry.omit({ id: true, recordedAt: true }).extend({
  details: AuditDetails.default({}),
})
export type NewAuditEntry = z.input<typeof NewAuditEntry>

const Limit = z.coerce.number().int().min(1).max(500).default(100)

/** The filters of a listing or an export, as query-string fields. */
export const AuditFilter = z.object({
  actor: AuditActor.optional(),
  action: AuditAction.optional(),
  targetType: AuditTargetType.optional(),
  targetId: Id.optional(),
  /** Inclusive lower bound on `at`. */
  from: z.coerce.number().int().nonnegative().optional(),
  /** Exclusive upper bound on `at`. */
  to: z.coerce.number().int().nonnegative().optional(),
})
export type AuditFilter = z.infer<typeof AuditFilter>

export const AuditQuery = AuditFilter.extend({
  limit: Limit,
  /** The `next` of the previous page. */
  after: z.string().max(500).optional(),
})
export type AuditQuery = z.infer<typeof AuditQuery>
export type AuditQueryInput = z.input<typeof AuditQuery>

/** Newest first; `next` continues with older entries. */
export const AuditPage = z.object({ items: z.array(AuditEntry), next: z.string().nullable() })
export type AuditPage = z.infer<typeof AuditPage>
