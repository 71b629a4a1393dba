import { once } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import { PassThrough, type Readable } from 'node:stream'
import yazl from 'yazl'
import type { Actor } from '../../shared/actors'
import { consentHistory } from '../../shared/consent-history'
import {
  EXPORT_ATTACHMENT_FOLDER,
  EXPORT_ENTRIES,
  EXPORT_FORMAT,
  EXPORT_VERSION,
  type ExportCounts,
  type ExportedAttachment,
  type ExportManifest,
} from '../../shared/customer-export'
import type { Customer, Message, TimelineEvent } from '../../shared/domain'
import { NotFoundError } from '../connectors/delivery'
import { ATTACHMENT_ROUTE_PREFIX } from '../connectors/email/attachment-store'
import { attachmentsDir } from '../connectors/email/email-connector'
import type { ServerConfig } from '../config'
import type { CustomerItemKind, CustomerItemTypes, StoreReader } from '../store/store'

/** Rows read from the store at a time: large enough to keep reads few, small enough to keep memory flat. */
export const EXPORT_PAGE_SIZE = 500

const SHA256 = /^[0-9a-f]{64}$/

/** Where the server keeps attachment files: the folder beside its database file (connectors/configured.ts). */
export const serverAttachmentsDir = (config: Pick<ServerConfig, 'dbPath'>): string => attachmentsDir(path.dirname(path.resolve(config.dbPath)))

export interface ExportSource {
  store: StoreReader
  /** The folder of attachment files beside the database; null when the server keeps none. */
  attachmentsDir: string | null
}

export interface ExportRequest {
  customerId: string
  exportedBy: Actor
  now?: number
  pageSize?: number
}

export interface CustomerExport {
  /** The zip archive, produced as it is read: pipe it to a response or a file. */
  stream: Readable
  /** The manifest, once the last byte has been handed to the stream; rejects when the export fails or its reader goes away. */
  done: Promise<ExportManifest>
}

/**
 * Exports one customer as a zip archive (layout in shared/customer-export.ts, docs/export.md).
 * The unbounded parts are read from the store a page at a time and written as JSON lines while
 * the archive streams out, so memory stays flat however long the history; a slow reader slows
 * the store reads rather than filling memory (every write waits for the archive to take it).
 * Throws NotFoundError before anything is streamed when there is no such customer.
 */
export async function exportCustomer(source: ExportSource, request: ExportRequest): Promise<CustomerExport> {
  const customer = await source.store.getCustomer(request.customerId)
  if (!customer) throw new NotFoundError(`unknown customer ${request.customerId}`)
  const zip = new yazl.ZipFile()
  const stream = zip.outputStream as Readable
  const abort = new AbortController()
  // A reader gone before the end (a closed download) stops the export at its next write.
  stream.once('close', () => abort.abort(new Error('the export was not read to its end')))
  zip.once('error', (err: Error) => abort.abort(err))
  const done = writeArchive(zip, source, { ...request, now: request.now ?? Date.now() }, customer, abort.signal)
  done.catch((err: unknown) => stream.destroy(err instanceof Error ? err : new Error(String(err))))
  return { stream, done }
}

/**
 * Every record merged into the customer, and those merged into them in turn: their identities
 * and conversations moved to the customer (and are in the archive with theirs), but their
 * profiles (name, labels, attributes, consent) stayed on their own records.
 */
async function mergedRecords(store: StoreReader, customerId: string): Promise<Customer[]> {
  const found: Customer[] = []
  const seen = new Set([customerId])
  for (let i = -1; i < found.length; i++) {
    for (const record of await store.customersMergedInto(i < 0 ? customerId : found[i]!.id)) {
      if (seen.has(record.id)) continue
      seen.add(record.id)
      found.push(record)
    }
  }
  return found
}

async function writeArchive(
  zip: yazl.ZipFile,
  { store, attachmentsDir }: ExportSource,
  request: ExportRequest & { now: number },
  customer: Customer,
  signal: AbortSignal,
): Promise<ExportManifest> {
  const mtime = new Date(request.now)
  const pageSize = request.pageSize ?? EXPORT_PAGE_SIZE
  const entries: string[] = []
  const addJson = (name: string, value: unknown): void => {
    zip.addBuffer(Buffer.from(`${JSON.stringify(value, null, 2)}\n`), name, { mtime })
    entries.push(name)
  }

  /** Writes every item of `kind` as one JSON line each, a page at a time; `seen` looks at each on its way. */
  async function addLines<K extends CustomerItemKind>(name: string, kind: K, seen?: (item: CustomerItemTypes[K]) => void): Promise<number> {
    const lines = new PassThrough()
    zip.addReadStream(lines, name, { mtime })
    entries.push(name)
    let count = 0
    let after: string | undefined
    do {
      signal.throwIfAborted()
      const page = await store.customerItems(request.customerId, kind, pageSize, after)
      for (const item of page.items) {
        seen?.(item)
        count++
        if (!lines.write(`${JSON.stringify(item)}\n`)) await once(lines, 'drain', { signal })
      }
      after = page.next ?? undefined
    } while (after)
    lines.end()
    return count
  }

  addJson(EXPORT_ENTRIES.customer, customer)
  const merged = await mergedRecords(store, customer.id)
  addJson(EXPORT_ENTRIES.mergedCustomers, merged)
  const identities = await store.identitiesOf(customer.id)
  addJson(EXPORT_ENTRIES.identities, identities)
  const conversations = await store.conversationsOf(customer.id)
  addJson(EXPORT_ENTRIES.conversations, conversations)

  const attachments = new Map<string, Omit<ExportedAttachment, 'path'>>()
  const collectAttachments = (message: Message): void => {
    for (const a of message.attachments) {
      if (!a.url?.startsWith(ATTACHMENT_ROUTE_PREFIX)) continue
      const id = a.url.slice(ATTACHMENT_ROUTE_PREFIX.length)
      if (!SHA256.test(id)) continue
      const known = attachments.get(id)
      if (known) known.messageIds.push(message.id)
      else attachments.set(id, { id, name: a.name, contentType: a.contentType, size: a.size, messageIds: [message.id] })
    }
  }
  // Consent decisions are a handful among the events: kept aside to list as the consent history.
  const consentEvents: TimelineEvent[] = []
  const counts: Omit<ExportCounts, 'attachments' | 'consentRecords'> = {
    mergedCustomers: merged.length,
    identities: identities.length,
    conversations: conversations.length,
    messages: await addLines(EXPORT_ENTRIES.messages, 'message', collectAttachments),
    notes: await addLines(EXPORT_ENTRIES.notes, 'note'),
    calls: await addLines(EXPORT_ENTRIES.calls, 'call'),
    events: await addLines(EXPORT_ENTRIES.events, 'event', (e) => {
      if (e.type === 'consent_changed' || e.type === 'consent_superseded') consentEvents.push(e)
    }),
    summaries: 0,
  }
  const summaries = await store.summariesOf(customer.id)
  counts.summaries = summaries.length
  addJson(EXPORT_ENTRIES.summaries, summaries)
  const consent = consentHistory(consentEvents)
  addJson(EXPORT_ENTRIES.consentHistory, consent)

  const files: ExportedAttachment[] = [...attachments.values()].map((a) => {
    const file = attachmentsDir === null ? null : path.join(attachmentsDir, a.id)
    return { ...a, path: file !== null && fs.existsSync(file) ? `${EXPORT_ATTACHMENT_FOLDER}${a.id}` : null }
  })
  addJson(EXPORT_ENTRIES.attachments, files)
  for (const file of files) {
    if (file.path === null || attachmentsDir === null) continue
    zip.addFile(path.join(attachmentsDir, file.id), file.path, { mtime, compress: false })
    entries.push(file.path)
  }

  const manifest: ExportManifest = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    customerId: customer.id,
    exportedAt: request.now,
    exportedBy: request.exportedBy,
    counts: { ...counts, consentRecords: consent.length, attachments: files.filter((f) => f.path !== null).length },
    entries: [...entries],
  }
  addJson(EXPORT_ENTRIES.manifest, manifest)
  const ended = once(zip.outputStream, 'end', { signal })
  zip.end()
  await ended
  return manifest
}
