import { z } from 'zod'
import { Id, Timestamp } from './domain'

/**
 * Erasing a customer (GDPR article 17, CCPA deletion). An erasure takes the customer out of
 * every read and every cache at once, and holds their rows on the server until the purge, so an
 * erasure made by mistake can be restored within the grace period. See docs/privacy.md.
 */

export const DEFAULT_ERASURE_GRACE_DAYS = 30

export const EraseRequest = z.object({
  /** A legal request: purge at once, with no grace period (and so no restore). */
  now: z.boolean().default(false),
})
export type EraseRequest = z.input<typeof EraseRequest>

/** A customer's erasure, pending until its purge. */
export const Erasure = z.object({
  /** The customer asked to be erased. */
  customerId: Id,
  /** Every customer record erased with them: the customer and the records merged into them. */
  customerIds: z.array(Id).min(1),
  /** The customer's name, for an admin's list of erasures pending; gone with the purge. */
  name: z.string(),
  requestedBy: Id,
  requestedAt: Timestamp,
  /** When the purge removes everything for good; restorable until then. */
  purgeAt: Timestamp,
  /** Erased with `now`: purged at once. */
  immediate: z.boolean(),
})
export type Erasure = z.infer<typeof Erasure>

/** What a restore brought back, and what it could not (taken by another customer meanwhile). */
export const RestoreResult = z.object({
  customerId: Id,
  restored: z.number().int().nonnegative(),
  /** Addresses a new customer took during the grace period: they stay with that customer (agents may merge the two). */
  identitiesSkipped: z.array(Id),
  /** Messages or calls whose channel id arrived again during the grace period, under the new customer. */
  itemsSkipped: z.array(Id),
})
export type RestoreResult = z.infer<typeof RestoreResult>

/** What clients show before an erasure: how long it stays restorable. */
export const ErasurePolicy = z.object({ graceDays: z.number().nonnegative() })
export type ErasurePolicy = z.infer<typeof ErasurePolicy>
