import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import v8 from 'node:v8'
import vm from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemActor } from '../../shared/actors'
import { seedLongHistory } from '../../../tests/support/export-history'
import { jsonLines, unzip } from '../../../tests/support/unzip'
import type { Store, StoreReader } from '../store/store'
import { openSqliteStore } from '../store/sqlite/sqlite-store'
import { EXPORT_PAGE_SIZE, exportCustomer } from './customer-export'

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

const MESSAGES = 10_000
/** 10,000 messages of 2 KB: 20 MB of text, which an export holding the history would keep in its heap. */
const TEXT_BYTES = 2_000

let dir: string
let store: Store

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-export-'))
  store = openSqliteStore(path.join(dir, 'server.sqlite'))
  await seedLongHistory(store, { customerId: 'long', messages: MESSAGES, textBytes: TEXT_BYTES })
}, 60_000)

afterAll(async () => {
  await store?.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

/** The store, recording every read the export makes; `afterRead` runs as each read's answer arrives. */
function recordingReads(reads: { method: string; args: unknown[] }[], afterRead?: () => void): StoreReader {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        reads.push({ method: String(key), args })
        const answer = (value as (...a: unknown[]) => unknown).apply(target, args)
        return afterRead && answer instanceof Promise ? answer.then((a: unknown) => (afterRead(), a)) : answer
      }
    },
  })
}

describe('exporting a long history', () => {
  it('reads the 10,000 messages a page at a time and keeps the heap flat while the archive streams out', async () => {
    const reads: { method: string; args: unknown[] }[] = []
    gc()
    const base = process.memoryUsage().heapUsed
    let peak = 0
    // What stays reachable as each page comes back, after a full collection: an export that kept
    // the pages before it (or read them all at once) holds them here.
    const sampled = recordingReads(reads, () => {
      gc()
      peak = Math.max(peak, process.memoryUsage().heapUsed - base)
    })
    const archive = await exportCustomer({ store: sampled, attachmentsDir: null }, { customerId: 'long', exportedBy: systemActor('test') })
    let bytes = 0
    await pipeline(
      archive.stream,
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          bytes += chunk.length
          done()
        },
      }),
    )
    const manifest = await archive.done
    expect(manifest.counts.messages).toBe(MESSAGES)
    expect(bytes).toBeGreaterThan(10_000)
    const messagePages = reads.filter((r) => r.method === 'customerItems' && r.args[1] === 'message')
    expect(messagePages).toHaveLength(MESSAGES / EXPORT_PAGE_SIZE)
    for (const page of messagePages) expect(page.args[2]).toBe(EXPORT_PAGE_SIZE)
    // No read that returns a whole history at once.
    expect(reads.map((r) => r.method).filter((m) => ['conversationItems', 'timeline', 'listMessages'].includes(m))).toEqual([])
    expect(peak).toBeGreaterThan(0)
    expect(peak).toBeLessThan(8 * 1024 * 1024)
  }, 60_000)

  it('writes every message once, oldest first, into messages.jsonl', async () => {
    const archive = await exportCustomer({ store, attachmentsDir: null }, { customerId: 'long', exportedBy: systemActor('test'), pageSize: 999 })
    const chunks: Buffer[] = []
    for await (const chunk of archive.stream) chunks.push(chunk as Buffer)
    const messages = jsonLines((await unzip(Buffer.concat(chunks))).get('messages.jsonl')) as { id: string; sentAt: number }[]
    expect(messages).toHaveLength(MESSAGES)
    expect(new Set(messages.map((m) => m.id)).size).toBe(MESSAGES)
    expect(messages.every((m, i) => i === 0 || m.sentAt > messages[i - 1]!.sentAt)).toBe(true)
  }, 60_000)

  it('stops reading the store when its reader goes away, and says so', async () => {
    const reads: { method: string; args: unknown[] }[] = []
    const archive = await exportCustomer({ store: recordingReads(reads), attachmentsDir: null }, { customerId: 'long', exportedBy: systemActor('test'), pageSize: 100 })
    archive.stream.once('data', () => archive.stream.destroy())
    await expect(archive.done).rejects.toThrow()
    expect(reads.filter((r) => r.method === 'customerItems').length).toBeLessThan(MESSAGES / 100)
  }, 60_000)
})
