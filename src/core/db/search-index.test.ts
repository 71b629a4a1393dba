import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SearchHit } from '../../shared/ipc'
import type { ConversationStatus } from '../../shared/domain'
import type { HandlerContext } from '../handlers/context'
import { searchHandlers } from '../handlers/search'
import { applyBatch } from '../sync/apply'
import { enqueueAction } from '../sync/outbox'
import { changes, conversation, customer, message, note, tempDir, user } from '../testing/fixtures'
import { beginBulkLoad, bulkLoadPending, finishBulkLoad } from './bulk-load'
import { openCache } from './open'
import { retagQueued, SEARCH_SLOTS, tagPhrase } from './search-index'
import { getSyncMeta, setSyncUser } from './queries'

const SERVER = 'http://127.0.0.1:4100'
const DAY = 86_400_000

let dir: ReturnType<typeof tempDir>
let db: Database
beforeEach(() => {
  dir = tempDir()
  db = openCache(dir.path, SERVER)
})
afterEach(() => {
  db.close()
  dir.remove()
})

const search = (text: string, over: Record<string, unknown> = {}) =>
  searchHandlers({ db } as unknown as HandlerContext)['search.query']({ text, limit: 50, ...over } as never) as SearchHit[]
const ids = (hits: SearchHit[]) => hits.map((h) => h.id)

const maya = customer('c1', { name: 'Maya Lindqvist', lastActivityAt: 9 * DAY })
const email = conversation('v1', 'c1', { channel: 'email', lastMessageAt: 9 * DAY })
const sms = conversation('v2', 'c1', { channel: 'sms', lastMessageAt: 8 * DAY })

function seed(): void {
  applyBatch(db, {
    after: getSyncMeta(db)?.cursor ?? 0,
    cursor: 10,
    changes: changes(1, [
      ['user', user('u1')],
      ['customer', maya],
      ['conversation', email],
      ['conversation', sms],
      ['message', message('m-old', email, 2 * DAY, { text: 'Parcel lost in transit' })],
      ['message', message('m-new', sms, 8 * DAY, { text: 'Parcel found, thanks' })],
      ['message', message('m-mid', email, 5 * DAY, { text: 'Any news on the parcel?' })],
      ['note', note('n1', email, 6 * DAY, { text: 'Parcel claim filed with the courier' })],
    ]),
  })
  setSyncUser(db, 'u1')
}

describe('search order and filters', () => {
  it('lists matches newest first, and the limit keeps the newest', () => {
    seed()
    expect(ids(search('parcel'))).toEqual(['m-new', 'n1', 'm-mid', 'm-old'])
    expect(ids(search('parcel', { limit: 2 }))).toEqual(['m-new', 'n1'])
    expect(ids(search('parcel', { from: 3 * DAY, to: 7 * DAY }))).toEqual(['n1', 'm-mid'])
  })

  it('keeps rows of the same millisecond apart and in order of arrival', () => {
    seed()
    const same = ['a', 'b', 'c'].map((id) => message(`same-${id}`, sms, 7 * DAY, { text: `Parcel update ${id}` }))
    applyBatch(db, { after: 10, cursor: 13, changes: changes(11, same.map((m) => ['message', m] as ['message', typeof m])) })
    expect(ids(search('parcel update'))).toEqual(['same-c', 'same-b', 'same-a'])
  })

  it('follows a conversation whose status, assignee or channel changes', () => {
    seed()
    expect(ids(search('parcel', { status: 'resolved' }))).toEqual([])
    applyBatch(db, { after: 10, cursor: 11, changes: changes(11, [['conversation', { ...email, status: 'resolved', assigneeId: 'u1' }]]) })
    expect(ids(search('parcel', { status: 'resolved' }))).toEqual(['n1', 'm-mid', 'm-old'])
    expect(ids(search('parcel', { assigneeId: 'u1' }))).toEqual(['n1', 'm-mid', 'm-old'])
    expect(ids(search('parcel', { assigneeId: null }))).toEqual(['m-new'])

    // An optimistic change from the agent re-tags at once, before the server confirms it.
    enqueueAction(db, { name: 'setStatus', args: { conversationId: 'v2', status: 'resolved' }, conversationId: 'v2', itemId: null })
    expect(ids(search('parcel', { status: 'resolved' }))).toEqual(['m-new', 'n1', 'm-mid', 'm-old'])
    expect(ids(search('parcel', { status: 'open' }))).toEqual([])
  })

  it('queues a conversation whose tags changed and re-tags it in chunks, the queue emptied by any search', () => {
    seed()
    const queued = () => (db.prepare('SELECT conversation_id AS id FROM search_retag ORDER BY 1').all() as { id: string }[]).map((r) => r.id)
    const tagged = (status: ConversationStatus) =>
      (db.prepare('SELECT d.ref_id FROM search_index s JOIN search_documents d ON d.key = s.rowid WHERE search_index MATCH ? ORDER BY 1').all(tagPhrase.status(status)) as { ref_id: string }[]).map((r) => r.ref_id)
    applyBatch(db, {
      after: 10,
      cursor: 12,
      changes: changes(11, [
        ['conversation', { ...email, status: 'resolved' }],
        ['conversation', { ...sms, status: 'pending' }],
      ]),
    })
    // The step itself wrote no message again: the old tags stand until the re-tag.
    expect(queued()).toEqual(['v1', 'v2'])
    expect(tagged('resolved')).toEqual([])
    expect(retagQueued(db, 1)).toBe(1)
    expect(retagQueued(db, 1)).toBe(0)
    expect(tagged('resolved')).toEqual(['m-mid', 'm-old', 'n1'])
    expect(tagged('pending')).toEqual(['m-new'])
    applyBatch(db, { after: 12, cursor: 13, changes: changes(13, [['conversation', { ...email, status: 'open' }]]) })
    expect(queued()).toEqual(['v1'])
    expect(ids(search('parcel', { status: 'open' }))).toEqual(['n1', 'm-mid', 'm-old'])
    expect(queued()).toEqual([])
  })

  it('finds every row of a millisecond holding more rows than it has keys, in the index kept by triggers and in one built at the end of a fill', () => {
    // A channel that stamps whole seconds, or an import, can put this many messages in one instant.
    const crowd = Array.from({ length: SEARCH_SLOTS + 44 }, (_, i) => message(`crowd-${i}`, sms, 7 * DAY, { text: `Parcel batch ${i}` }))
    // And one in the next millisecond, whose keys the crowd must not take.
    const next = message('m-next', sms, 7 * DAY + 1, { text: 'Parcel right after' })
    const crowdChanges = changes(11, [...crowd, next].map((m) => ['message', m] as ['message', typeof m]))
    const everyRow = crowd.map((m) => m.id).sort()
    seed()
    applyBatch(db, { after: 10, cursor: 11 + crowd.length, changes: crowdChanges })
    expect(ids(search('batch', { limit: 1000 })).sort()).toEqual(everyRow)
    // Those keyed after every other row still stay out of a date range that does not hold their time.
    expect(ids(search('parcel', { limit: 1000, from: 8 * DAY }))).toEqual(['m-new'])
    expect(ids(search('parcel', { limit: 1000, to: 7 * DAY }))).toEqual(['n1', 'm-mid', 'm-old'])

    db.close()
    dir.remove()
    dir = tempDir()
    db = openCache(dir.path, SERVER)
    beginBulkLoad(db)
    seed()
    applyBatch(db, { after: 10, cursor: 11 + crowd.length, changes: crowdChanges })
    finishBulkLoad(db)
    expect(ids(search('batch', { limit: 1000 })).sort()).toEqual(everyRow)
    expect(ids(search('parcel', { limit: 1000, to: 7 * DAY }))).toEqual(['n1', 'm-mid', 'm-old'])
    expect(ids(search('right after'))).toEqual(['m-next'])
  })

  it('a message edited to another time moves in the order', () => {
    seed()
    applyBatch(db, { after: 10, cursor: 11, changes: changes(11, [['message', message('m-old', email, 9 * DAY, { text: 'Parcel lost in transit' })]]) })
    expect(ids(search('parcel'))).toEqual(['m-old', 'm-new', 'n1', 'm-mid'])
  })
})

describe('bulk load of an empty cache', () => {
  const indexCount = () => (db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type IN ('index', 'trigger')`).get() as { n: number }).n

  it('drops the indexes while filling and builds them and the search index at the end', () => {
    const before = indexCount()
    beginBulkLoad(db)
    expect(bulkLoadPending(db)).toBe(true)
    expect(indexCount()).toBeLessThan(before)
    seed()
    expect(search('parcel')).toEqual([])
    finishBulkLoad(db)
    expect(bulkLoadPending(db)).toBe(false)
    expect(indexCount()).toBe(before)
    expect(ids(search('parcel'))).toEqual(['m-new', 'n1', 'm-mid', 'm-old'])
    expect(ids(search('lindqvist'))).toEqual(['c1'])
  })

  it('a process that dies before the end leaves a cache the sync goes on filling, or the next open completes with no server to sync with', () => {
    const before = indexCount()
    beginBulkLoad(db)
    seed()
    db.close()
    db = openCache(dir.path, SERVER)
    // The sync resumes the fill without the indexes (SyncEngine.pullAll).
    expect(bulkLoadPending(db)).toBe(true)
    db.close()
    db = openCache(dir.path, null)
    expect(bulkLoadPending(db)).toBe(false)
    expect(indexCount()).toBe(before)
    expect(ids(search('parcel', { channel: 'email' }))).toEqual(['n1', 'm-mid', 'm-old'])
    // And the index is maintained again from there on.
    applyBatch(db, { after: 10, cursor: 11, changes: changes(11, [['message', message('m-late', sms, 10 * DAY, { text: 'Parcel delivered' })]]) })
    expect(ids(search('parcel delivered'))).toEqual(['m-late'])
  })
})
