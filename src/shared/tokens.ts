import { z } from 'zod'
import { Id, Timestamp } from './domain'

/**
 * What an administrator may learn about issued credentials: never the token itself, which is
 * shown once when created and stored only as a hash.
 */

/** A user's API token (a signed-in device, or one made by `token:create`). */
export const ApiTokenInfo = z.object({
  id: Id,
  userId: Id,
  userEmail: z.string(),
  label: z.string().nullable(),
  createdAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
  /** When it stops being accepted unless used before: the earlier of its idle and absolute limits. */
  expiresAt: Timestamp,
})
export type ApiTokenInfo = z.infer<typeof ApiTokenInfo>

/** An integration (Zapier, a script) allowed to post inbound items to some inboxes through the API channel. */
export const IntegrationInfo = z.object({
  id: Id,
  name: z.string(),
  inboxes: z.array(z.string()),
  createdAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
  /** Set once revoked; the record is kept so the changes it made still name it. */
  revokedAt: Timestamp.nullable(),
})
export type IntegrationInfo = z.infer<typeof IntegrationInfo>

export const NewIntegration = z.object({
  name: z.string().trim().min(1, 'an integration needs a name').max(200),
  inboxes: z
    .array(z.string().trim().min(1, 'an inbox name cannot be empty').max(200))
    .min(1, 'an integration needs at least one inbox it may post to'),
})
export type NewIntegration = z.input<typeof NewIntegration>
