import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { modeOf } from '../../../../tests/support/file-modes'
import { AttachmentStore } from './attachment-store'

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-attachments-'))
})
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('AttachmentStore', () => {
  it('stores content once under its SHA-256 and remembers every inbox that received it', () => {
    const files = new AttachmentStore(dir, 1_000)
    const a = files.save(Buffer.from('same bytes'), { name: 'a.txt', contentType: 'text/plain', inbox: 'support' })
    const b = files.save(Buffer.from('same bytes'), { name: 'b.txt', contentType: 'text/plain', inbox: 'billing' })
    expect(a.url).toMatch(/^\/api\/v1\/attachments\/[0-9a-f]{64}$/)
    expect(b.url).toBe(a.url)
    expect(b.name).toBe('b.txt')
    const sha = (a.url as string).split('/').at(-1) as string
    expect(fs.readdirSync(dir).filter((f) => !f.endsWith('.json'))).toEqual([sha])
    expect(files.open(sha)?.meta).toEqual({ name: 'a.txt', contentType: 'text/plain', size: 10, inboxes: ['support', 'billing'] })
  })

  it('lists an attachment over the limit without storing it', () => {
    const files = new AttachmentStore(dir, 10)
    expect(files.save(Buffer.alloc(2 * 1024 * 1024), { name: 'big.iso', contentType: 'application/octet-stream', inbox: 'support' })).toEqual({
      name: 'big.iso',
      contentType: 'application/octet-stream',
      size: 2 * 1024 * 1024,
      url: null,
      note: 'not stored: 2 MB is over the 10 bytes attachment limit; it is still in the mailbox',
    })
    expect(fs.readdirSync(dir)).toEqual([])
  })

  it('keeps its folder and files readable by their owner only, also a folder an older version made 0755', () => {
    const created = path.join(dir, 'attachments')
    const inCreated = new AttachmentStore(created, 1_000).save(Buffer.from('invoice'), { name: 'a.pdf', contentType: 'application/pdf', inbox: 'support' })
    const existing = path.join(dir, 'older')
    fs.mkdirSync(existing, { mode: 0o755 })
    fs.chmodSync(existing, 0o755)
    new AttachmentStore(existing, 1_000).save(Buffer.from('receipt'), { name: 'b.pdf', contentType: 'application/pdf', inbox: 'support' })
    const sha = (inCreated.url as string).split('/').at(-1) as string
    expect([modeOf(created), modeOf(path.join(created, sha)), modeOf(path.join(created, `${sha}.json`)), modeOf(existing)]).toEqual(['700', '600', '600', '700'])
  })

  it('opens nothing for an unknown or malformed hash', () => {
    const files = new AttachmentStore(dir, 10)
    expect(files.open('0'.repeat(64))).toBeNull()
    expect(files.open('../../etc/passwd')).toBeNull()
  })
})
