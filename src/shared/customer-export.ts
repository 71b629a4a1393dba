import { z } from 'zod'
import { Actor } from './actors'
import { ConsentRecord } from './consent-history'
import { Call, Conversation, Customer, Id, Identity, Message, Note, Summary, TimelineEvent, Timestamp } from './domain'

/**
 * A customer's export: one zip archive holding everything Threadline keeps about one customer,
 * for a data-subject request (GDPR art. 15 and 20, CCPA). These schemas are the archive's
 * definition; docs/export.md describes it for whoever reads the archive. Each entry holds rows
 * of the same shapes the app syncs (shared/domain.ts), unchanged, so a field means in the archive
 * what it means everywhere else.
 */

export const EXPORT_FORMAT = 'threadline.customer-export'
export const EXPORT_VERSION = 1

/**
 * Where each part lies in the archive. Lists that can grow without bound (messages, notes,
 * calls, events) are JSON lines, one row a line, so they are written and read a row at a time.
 */
export const EXPORT_ENTRIES = {
  customer: 'customer.json',
  /** The customer records merged into this one: the same person, known before as someone else. */
  mergedCustomers: 'merged-customers.json',
  identities: 'identities.json',
  conversations: 'conversations.json',
  messages: 'messages.jsonl',
  notes: 'notes.jsonl',
  calls: 'calls.jsonl',
  events: 'events.jsonl',
  summaries: 'summaries.json',
  consentHistory: 'consent-history.json',
  attachments: 'attachments.json',
  /** Written last: it counts what the others hold. */
  manifest: 'manifest.json',
} as const
export type ExportPart = keyof typeof EXPORT_ENTRIES

/** The folder of attachment files, each named by its id. */
export const EXPORT_ATTACHMENT_FOLDER = 'attachments/'

/** What each entry holds: a JSON document, or (`.jsonl`) one of these per line. */
export const EXPORT_ROWS = {
  customer: Customer,
  mergedCustomers: z.array(Customer),
  identities: z.array(Identity),
  conversations: z.array(Conversation),
  messages: Message,
  notes: Note,
  calls: Call,
  events: TimelineEvent,
  summaries: z.array(Summary),
  consentHistory: z.array(ConsentRecord),
} as const

/**
 * An attachment file the server keeps, as the archive holds it. Messages name their files by
 * `url` (`/api/v1/attachments/<id>`); files kept elsewhere (an SMS provider's media URL) are
 * only named there.
 */
export const ExportedAttachment = z.object({
  /** The file's SHA-256, as in the message's url: one file however many messages carry it. */
  id: z.string().regex(/^[0-9a-f]{64}$/),
  /** Its entry in the archive (`attachments/<id>`); null when the server no longer has the file. */
  path: z.string().nullable(),
  name: z.string(),
  contentType: z.string(),
  size: z.number().int().nonnegative(),
  /** The customer's messages that carry it. */
  messageIds: z.array(Id).min(1),
})
export type ExportedAttachment = z.infer<typeof ExportedAttachment>

export const ExportCounts = z.object({
  mergedCustomers: z.number().int().nonnegative(),
  identities: z.number().int().nonnegative(),
  conversations: z.number().int().nonnegative(),
  messages: z.number().int().nonnegative(),
  notes: z.number().int().nonnegative(),
  calls: z.number().int().nonnegative(),
  events: z.number().int().nonnegative(),
  summaries: z.number().int().nonnegative(),
  consentRecords: z.number().int().nonnegative(),
  attachments: z.number().int().nonnegative(),
})
export type ExportCounts = z.infer<typeof ExportCounts>

export const ExportManifest = z.object({
  format: z.literal(EXPORT_FORMAT),
  version: z.literal(EXPORT_VERSION),
  customerId: Id,
  exportedAt: Timestamp,
  /** Who asked for it: a user, or the server's CLI (`system:cli`). */
  exportedBy: Actor,
  counts: ExportCounts,
  /** Every entry of the archive but this one, in the order written. */
  entries: z.array(z.string()),
})
export type ExportManifest = z.infer<typeof ExportManifest>

/** The archive's file name, as the server suggests it and the app saves it. */
export const exportFileName = (customerId: string, at: number): string =>
  `threadline-customer-${customerId.replace(/[^A-Za-z0-9_-]/g, '_')}-${new Date(at).toISOString().slice(0, 10)}.zip`

/** Where the app saved an archive it downloaded. */
export interface SavedExport {
  /** The file's full path on this device. */
  path: string
  name: string
  bytes: number
}
