import fs from 'node:fs'
import path from 'node:path'
import { systemActor } from '../../shared/actors'
import type { Identity, Message } from '../../shared/domain'
import type { Erasure } from '../../shared/privacy'
import { SERVER_ORIGIN } from '../audit/origin'
import { recordAudit } from '../audit/record'
import type { ConnectorLogger } from '../connectors/connector'
import { ATTACHMENT_ROUTE_PREFIX } from '../connectors/email/attachment-store'
import type { LeasedWork } from '../ops/leases'
import type { Store, StoreReader } from '../store/store'

/**
 * The purge: once an erasure's grace period is over (at once for a legal request), what it held
 * is deleted for good — the rows, the attachment files no other message carries, dead letters
 * naming the customer — and the database gives the space back, so the bytes leave its files.
 * The change log was rewritten to tombstones when they were erased.
 *
 * Run by the node holding the `privacy-purge` lease: it looks for erasures due every
 * `intervalMs`, and at once when asked (an erasure with no grace period).
 */
export class PurgeService implements LeasedWork {
  private timer: NodeJS.Timeout | null = null
  private running: Promise<number> | null = null
  private again = false
  private started = false

  constructor(
    private readonly store: Store,
    private readonly options: {
      /** The attachment folder (connectors/email: beside the database). */
      attachmentsDir: string
      intervalMs: number
      log: Pick<ConnectorLogger, 'info' | 'error'>
      now?: () => number
    },
  ) {}

  async start(): Promise<void> {
    this.started = true
    this.timer = setInterval(() => this.soon(), this.options.intervalMs)
    this.timer.unref()
    this.soon()
  }

  async stop(): Promise<void> {
    this.started = false
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.running?.catch(() => undefined)
  }

  /** Purges what is due now, unless this node does not hold the lease (its holder looks on its own). */
  soon(): void {
    if (!this.started) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = this.purgeDue()
      .catch((err: unknown) => {
        this.options.log.error({ err }, 'purging erased customers failed; retrying at the next pass')
        return 0
      })
      .finally(() => {
        this.running = null
        if (this.again) {
          this.again = false
          this.soon()
        }
      })
  }

  /** Purges every erasure due; returns how many. */
  async purgeDue(): Promise<number> {
    const now = (this.options.now ?? Date.now)()
    const due = (await this.store.listErasures()).filter((e) => e.purgeAt <= now)
    for (const erasure of due) {
      await purgeErasure(this.store, erasure, this.options.attachmentsDir)
      this.options.log.info({ customerId: erasure.customerId }, 'erased customer purged')
    }
    if (due.length > 0) await this.store.compact()
    return due.length
  }
}

const PURGE_ACTOR = systemActor('privacy-purge')

/** Deletes what one erasure held, and the attachment files only its messages carried. */
export async function purgeErasure(store: Store, erasure: Erasure, attachmentsDir: string): Promise<void> {
  const held = await store.heldEntities(erasure.customerId)
  const addresses = held.filter((h) => h.entity === 'identity').map((h) => (h.data as Identity).address)
  const urls = new Set(
    held.flatMap((h) => (h.entity === 'message' ? (h.data as Message).attachments.flatMap((a) => (a.url ? [a.url] : [])) : [])),
  )
  await store.write(async (w) => {
    await w.purgeErasure(erasure.customerId, [...erasure.customerIds, ...addresses])
    await recordAudit(w, { actor: PURGE_ACTOR, origin: SERVER_ORIGIN, action: 'customer.purged', target: { type: 'customer', id: erasure.customerId } })
  })
  await removeUnusedAttachments(store, urls, attachmentsDir)
}

/**
 * Removes the attachment files at `urls` that no message, and no row an erasure holds for a
 * restore, carries any more: files are stored once per content, however many messages carry them.
 */
export async function removeUnusedAttachments(store: StoreReader, urls: Iterable<string>, attachmentsDir: string): Promise<void> {
  for (const url of new Set(urls)) {
    if (!url.startsWith(ATTACHMENT_ROUTE_PREFIX) || (await store.attachmentInUse(url))) continue
    const sha256 = url.slice(ATTACHMENT_ROUTE_PREFIX.length)
    if (!/^[0-9a-f]{64}$/.test(sha256)) continue
    for (const file of [sha256, `${sha256}.json`]) overwriteAndRemove(path.join(attachmentsDir, file))
  }
}

/** Zeroes a file before unlinking it, so its blocks do not keep the content on a plain disk. */
function overwriteAndRemove(file: string): void {
  let fd: number
  try {
    fd = fs.openSync(file, 'r+')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  try {
    const size = fs.fstatSync(fd).size
    const zeros = Buffer.alloc(Math.min(size, 1 << 20))
    for (let at = 0; at < size; at += zeros.length) fs.writeSync(fd, zeros, 0, Math.min(zeros.length, size - at), at)
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  fs.unlinkSync(file)
}
