import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Identity } from '../../shared/domain'
import type { SearchHit } from '../../shared/ipc'
import type { HandlerContext } from '../handlers/context'
import { searchHandlers } from '../handlers/search'
import { applyBatch } from '../sync/apply'
import { enqueueAction } from '../sync/outbox'
import { changes, conversation, customer, message, note, tempDir, user } from '../testing/fixtures'
import { openCache } from './open'
import { ftsQuery, searchSql, setSyncUser } from './queries'
import { REBUILD_READS } from './search-index'

let dir: ReturnType<typeof tempDir>
let db: Database
let search: ReturnType<typeof searchHandlers>['search.query']

const DAY = 86_400_000
const maya = customer('c1', { name: 'Maya Lindqvist' })
const jonas = customer('c2', { name: 'Jonas Berg' })
const email = conversation('v1', 'c1', { channel: 'email', assigneeId: 'u1', lastMessageAt: 10 * DAY })
const sms = conversation('v2', 'c1', { channel: 'sms', status: 'resolved', lastMessageAt: 5 * DAY })
const chat = conversation('v3', 'c2', { channel: 'chat', lastMessageAt: 3 * DAY })
const identity = (id: string, customerId: string, kind: Identity['kind'], address: string): Identity => ({
  id,
  customerId,
  kind,
  address,
  displayName: null,
  createdAt: 1,
})

beforeEach(() => {
  dir = tempDir()
  db = openCache(dir.path, 'http://127.0.0.1:4100')
  applyBatch(db, {
    after: 0,
    cursor: 20,
    changes: changes(1, [
      ['user', user('u1')],
      ['customer', maya],
      ['customer', jonas],
      ['identity', identity('i1', 'c1', 'email', 'maya.lindqvist@example.test')],
      ['identity', identity('i2', 'c1', 'phone', '+14155550123')],
      ['conversation', email],
      ['conversation', sms],
      ['conversation', chat],
      ['message', message('m1', email, 10 * DAY, { subject: 'Order #4411 arrived damaged', text: 'The lamp shade arrived cracked.' })],
      ['message', message('m2', sms, 5 * DAY, { text: 'Any news on the replacement lampshade?' })],
      ['message', message('m3', chat, 3 * DAY, { text: 'Can you resend the invoice for March?' })],
      ['note', note('n1', email, 10 * DAY + 1, { text: 'Courier damaged two lamps this week' })],
    ]),
  })
  setSyncUser(db, 'u1')
  const ctx = { db } as unknown as HandlerContext
  search = searchHandlers(ctx)['search.query']
})
afterEach(() => {
  db.close()
  dir.remove()
})

// The handler answers synchronously from the cache.
const run = (text: string, over: Partial<Parameters<typeof search>[0]> = {}) => search({ text, limit: 50, ...over }) as SearchHit[]
const ids = (hits: { kind: string; id: string }[]) => hits.map((h) => `${h.kind}:${h.id}`).sort()

describe('full-text search in the cache', () => {
  it('finds messages, notes and customers by prefix, diacritics folded', () => {
    expect(ids(run('lamp'))).toEqual(['message:m1', 'message:m2', 'note:n1'])
    expect(ids(run('lindqvíst'))).toEqual(['customer:c1'])
    expect(ids(run('maya.lindqvist@example'))).toEqual(['customer:c1'])
    expect(ids(run('4411'))).toEqual(['message:m1'])
  })

  it('finds the words three letters or more begin, and a word of one or two letters whole', () => {
    expect(ids(run('lam'))).toEqual(['message:m1', 'message:m2', 'note:n1'])
    expect(ids(run('la'))).toEqual([])
    expect(ids(run('on'))).toEqual(['message:m2'])
    expect(ids(run('news on'))).toEqual(['message:m2'])
    expect(run('on')[0]?.snippet.filter((p) => p.match).map((p) => p.text)).toEqual(['on'])
    expect(ftsQuery('my ordér')).toBe('"my" "ordér"*')
  })

  it('finds a customer by phone, also by the last digits people type', () => {
    expect(ids(run('+14155550123'))).toEqual(['customer:c1'])
    expect(ids(run('4155550123'))).toEqual(['customer:c1'])
    expect(ids(run('5550123'))).toEqual(['customer:c1'])
    expect(ids(run('5550999'))).toEqual([])
  })

  it('highlights the matched words in the snippet and the title', () => {
    const [hit] = run('cracked')
    expect(hit?.snippet).toEqual([
      { text: 'The lamp shade arrived ', match: false },
      { text: 'cracked', match: true },
      { text: '.', match: false },
    ])
    const [byTitle] = run('damaged order', { kinds: ['message'] })
    expect(byTitle?.title.filter((p) => p.match).map((p) => p.text)).toEqual(['Order', 'damaged'])
    expect(byTitle).toMatchObject({ customerName: 'Maya Lindqvist', conversationId: 'v1', channel: 'email', status: 'open' })
  })

  it('filters by channel, status, assignee and date range', () => {
    expect(ids(run('lamp', { channel: 'sms' }))).toEqual(['message:m2'])
    expect(ids(run('lamp', { status: 'open' }))).toEqual(['message:m1', 'note:n1'])
    expect(ids(run('lamp', { assigneeId: 'u1' }))).toEqual(['message:m1', 'note:n1'])
    expect(ids(run('lamp', { assigneeId: null }))).toEqual(['message:m2'])
    expect(ids(run('lamp', { from: 4 * DAY, to: 6 * DAY }))).toEqual(['message:m2'])
    expect(ids(run('lamp', { kinds: ['note'] }))).toEqual(['note:n1'])
  })

  it('stays in step with the cache: edits, optimistic replies, new identities, deletes', () => {
    applyBatch(db, { after: 20, cursor: 21, changes: changes(21, [['message', message('m1', email, 10 * DAY, { text: 'Never mind, it was fine' })]]) })
    expect(ids(run('cracked'))).toEqual([])
    expect(ids(run('never mind'))).toEqual(['message:m1'])

    enqueueAction(db, { name: 'reply', args: { messageId: 'r1', conversationId: 'v3', text: 'Invoice resent to your inbox' }, conversationId: 'v3', itemId: 'r1' })
    expect(ids(run('invoice resent'))).toEqual(['message:r1'])

    applyBatch(db, { after: 21, cursor: 22, changes: changes(22, [['identity', identity('i3', 'c2', 'email', 'jonas@berg.example')]]) })
    expect(ids(run('berg.example'))).toEqual(['customer:c2'])
    applyBatch(db, { after: 22, cursor: 23, changes: [{ seq: 23, entity: 'identity', id: 'i3', op: 'delete', data: null }] })
    expect(ids(run('berg.example'))).toEqual([])

    applyBatch(db, { after: 23, cursor: 24, changes: changes(24, [['customer', { ...jonas, name: 'Jonas Bergström' }]]) })
    expect(ids(run('bergström'))).toEqual(['customer:c2'])
  })

  it('a customer hit leads to their latest conversation', () => {
    expect(run('maya')[0]).toMatchObject({ kind: 'customer', conversationId: 'v1' })
  })

  it('turns any typed text into a safe query', () => {
    expect(ftsQuery('"unbalanced AND (')).toBe('"unbalanced"* "AND"*')
    expect(ftsQuery('  ***  ')).toBeNull()
    expect(run('NEAR( OR "')).toEqual([])
  })
})

describe('search query plans', () => {
  function plan(sql: string, params: Record<string, unknown>): string[] {
    return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail)
  }

  it('walks the match newest first inside FTS5, date range as a key range, and joins by key', () => {
    for (const range of [{}, { from: 0, to: 1 }]) {
      const steps = plan(searchSql({ hasFrom: 'from' in range, hasTo: 'to' in range }), { match: '"lamp"*', limit: 10, ...range })
      // idxNum 192: FTS5 took the ORDER BY rowid DESC itself (64 | 128), so LIMIT stops the walk.
      const scan = steps.find((s) => s.startsWith('SCAN s VIRTUAL TABLE INDEX'))
      expect(scan).toMatch(/^SCAN s VIRTUAL TABLE INDEX 192:M/)
      if ('from' in range) expect(scan).toMatch(/></)
      expect(steps).toContainEqual(expect.stringMatching(/^SEARCH c USING INDEX sqlite_autoindex_conversations_1 \(id=\?\)/))
      expect(steps).toContainEqual(expect.stringMatching(/^SEARCH cu USING INDEX sqlite_autoindex_customers_1 \(id=\?\)/))
      expect(steps.filter((s) => /TEMP B-TREE|^SCAN (c|cu|conversations|customers)\b/.test(s))).toEqual([])
    }
  })

  it('rebuilds the index in key order, each source row found by rowid', () => {
    for (const sql of REBUILD_READS) {
      const steps = plan(sql, {})
      expect(steps[0]).toBe('SCAN k USING COVERING INDEX idx_search_keys_key')
      expect(steps[1]).toMatch(/^SEARCH (m|n|cu) USING INTEGER PRIMARY KEY \(rowid=\?\)/)
      expect(steps.filter((s) => /TEMP B-TREE/.test(s) || (/^SCAN /.test(s) && !s.startsWith('SCAN k ')))).toEqual([])
    }
  })
})
