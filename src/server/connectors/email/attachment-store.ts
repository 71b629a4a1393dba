import { createHash, randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import type { Attachment } from '../../../shared/domain'

export const ATTACHMENT_ROUTE_PREFIX = '/api/v1/attachments/'

const SHA256 = /^[0-9a-f]{64}$/

/** What is kept beside each stored file: how to serve it and who may fetch it. */
const AttachmentMeta = z.object({
  name: z.string(),
  contentType: z.string(),
  size: z.number().int().nonnegative(),
  /** Inboxes whose messages carry this file; a user must be able to see one of them. */
  inboxes: z.array(z.string()),
})
export type AttachmentMeta = z.infer<typeof AttachmentMeta>

export interface StoredAttachment {
  file: string
  meta: AttachmentMeta
}

function formatSize(bytes: number): string {
  const [value, unit] = bytes >= 1024 * 1024 ? [bytes / (1024 * 1024), 'MB'] : bytes >= 1024 ? [bytes / 1024, 'KB'] : [bytes, 'bytes']
  return `${value.toFixed(1).replace(/\.0$/, '')} ${unit}`
}

/**
 * Attachment files, content-addressed: each is stored once under its SHA-256, however many
 * messages carry it, and its name says what it holds, so a crash mid-write never leaves a
 * wrong file under a right name (files are written aside and renamed into place).
 */
export class AttachmentStore {
  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  /** Stores `content` (or, over the size limit, only describes it) and returns the message's attachment entry. */
  save(content: Buffer, info: { name: string; contentType: string; inbox: string }): Attachment {
    const size = content.length
    if (size > this.maxBytes) {
      return {
        name: info.name,
        contentType: info.contentType,
        size,
        url: null,
        note: `not stored: ${formatSize(size)} is over the ${formatSize(this.maxBytes)} attachment limit; it is still in the mailbox`,
      }
    }
    const sha256 = createHash('sha256').update(content).digest('hex')
    // Customers' files: the folder is the store's own, so one an older version made 0755 is narrowed too.
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    fs.chmodSync(this.dir, 0o700)
    const file = path.join(this.dir, sha256)
    if (!fs.existsSync(file)) this.writeAtomically(file, content)
    const previous = this.readMeta(sha256)
    const inboxes = previous?.inboxes.includes(info.inbox) ? previous.inboxes : [...(previous?.inboxes ?? []), info.inbox]
    if (!previous || inboxes !== previous.inboxes) {
      const meta: AttachmentMeta = previous ? { ...previous, inboxes } : { name: info.name, contentType: info.contentType, size, inboxes }
      this.writeAtomically(`${file}.json`, Buffer.from(JSON.stringify(meta)))
    }
    return { name: info.name, contentType: info.contentType, size, url: `${ATTACHMENT_ROUTE_PREFIX}${sha256}` }
  }

  /** The stored file and its metadata, or null for an unknown (or malformed) hash. */
  open(sha256: string): StoredAttachment | null {
    if (!SHA256.test(sha256)) return null
    const file = path.join(this.dir, sha256)
    const meta = this.readMeta(sha256)
    return meta && fs.existsSync(file) ? { file, meta } : null
  }

  private readMeta(sha256: string): AttachmentMeta | null {
    try {
      return AttachmentMeta.parse(JSON.parse(fs.readFileSync(path.join(this.dir, `${sha256}.json`), 'utf8')))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
  }

  private writeAtomically(file: string, content: Buffer): void {
    const tmp = `${file}.${randomUUID()}.tmp`
    const fd = fs.openSync(tmp, 'w', 0o600)
    try {
      fs.writeSync(fd, content)
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(tmp, file)
  }
}
