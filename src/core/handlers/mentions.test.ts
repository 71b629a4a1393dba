import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { IpcArgs, IpcMethod, IpcResults } from '../../shared/ipc'
import type { Core } from '../core'
import { openCache } from '../db/open'
import { setSyncUser } from '../db/queries'
import { createCore } from '../index'
import { applyBatch } from '../sync/apply'
import { arrivedMentions, newMentions } from '../sync/inbound-notify'
import { changes, closedPort, conversation, customer, note, tempDir, user } from '../testing/fixtures'

let dir: ReturnType<typeof tempDir>
let core: Core
let serverUrl: string
const START = Date.UTC(2026, 0, 1)
const call = <M extends IpcMethod>(method: M, args: IpcArgs<M>) => core.handle(method, args) as Promise<IpcResults[M]>

const v1 = conversation('v1', 'c1')
const v2 = conversation('v2', 'c2')
const seed = [
  ['user', user('me')],
  ['user', user('u2', { name: 'Sam Lee' })],
  ['customer', customer('c1', { name: 'Maya Patel' })],
  ['customer', customer('c2')],
  ['conversation', v1],
  ['conversation', v2],
  ['note', note('n1', v1, START + 1, { authorId: 'u2', authorName: 'Sam Lee', text: '@Agent me can you   take this?', mentions: ['me'] })],
  ['note', note('n2', v2, START + 2, { authorId: 'u2', mentions: ['me', 'u3'] })],
  ['note', note('n3', v2, START + 3, { authorId: 'u2', mentions: ['u3'] })],
  ['note', note('n4', v1, START + 4, { authorId: 'u2' })],
] as Parameters<typeof changes>[1]

beforeEach(async () => {
  dir = tempDir()
  serverUrl = `http://127.0.0.1:${await closedPort()}`
  const db = openCache(dir.path, serverUrl)
  setSyncUser(db, 'me')
  applyBatch(db, { after: 0, cursor: seed.length, changes: changes(1, seed) })
  db.close()
  core = await createCore({ dataDir: dir.path, serverUrl, token: 't' })
})
afterEach(async () => {
  await core.close()
  dir.remove()
})

describe('mentions', () => {
  it('lists the notes naming me, newest first, with an unread count kept on this device', async () => {
    const list = await call('mentions.list', {})
    expect(list.items.map((m) => m.noteId)).toEqual(['n2', 'n1'])
    expect(list.unread).toBe(2)
    expect(list.items[1]).toMatchObject({
      conversationId: 'v1',
      customerId: 'c1',
      customerName: 'Maya Patel',
      authorName: 'Sam Lee',
      text: '@Agent me can you take this?',
      unread: true,
    })

    await call('mentions.markRead', { noteIds: ['n1'] })
    const after = await call('mentions.list', {})
    expect(after.unread).toBe(1)
    expect(after.items.map((m) => [m.noteId, m.unread])).toEqual([
      ['n2', true],
      ['n1', false],
    ])
    // Read state survives a restart: it is in the cache, not in memory.
    await core.close()
    core = await createCore({ dataDir: dir.path, serverUrl, token: 't' })
    expect((await call('mentions.list', {})).unread).toBe(1)
    await call('mentions.markRead', {})
    expect((await call('mentions.list', {})).unread).toBe(0)
  })

  it('follows a note whose mentions change or that is removed, and counts a new one as unread', async () => {
    await call('mentions.markRead', {})
    const db = openCache(dir.path, serverUrl)
    try {
      const batch = changes(seed.length + 1, [
        ['note', note('n3', v2, START + 3, { authorId: 'u2', mentions: ['u3', 'me'] })],
        ['note', note('n2', v2, START + 2, { authorId: 'u2', mentions: ['u3'] })],
      ])
      applyBatch(db, { after: seed.length, cursor: seed.length + 2, changes: batch })
    } finally {
      db.close()
    }
    const list = await call('mentions.list', {})
    expect(list.items.map((m) => [m.noteId, m.unread])).toEqual([
      ['n3', true],
      ['n1', false],
    ])
    expect(list.unread).toBe(1)
  })

  it("announces a synced note naming me that is new to the cache, never my own nor one it already held", () => {
    const db = openCache(dir.path, serverUrl)
    try {
      const batch = changes(20, [
        ['note', note('n1', v1, START + 1, { authorId: 'u2', mentions: ['me'] })],
        ['note', note('n5', v1, START + 5, { authorId: 'u2', authorName: 'Sam Lee', text: 'Over to you', mentions: ['me'] })],
        ['note', note('n6', v1, START + 6, { authorId: 'me', mentions: ['me'] })],
        ['note', note('n7', v1, START + 7, { authorId: 'u2', mentions: ['u3'] })],
      ])
      const found = newMentions(db, batch, 'me')
      expect(found.map((n) => n.id)).toEqual(['n5'])
      expect(newMentions(db, batch, null)).toEqual([])
      applyBatch(db, { after: seed.length, cursor: 23, changes: batch })
      expect(arrivedMentions(db, found)).toEqual([
        expect.objectContaining({ noteId: 'n5', customerName: 'Maya Patel', authorName: 'Sam Lee', text: 'Over to you', unread: true }),
      ])
    } finally {
      db.close()
    }
  })
})
