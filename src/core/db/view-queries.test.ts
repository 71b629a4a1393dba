import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SavedView, ViewFilters } from '../../shared/domain'
import { applyBatch } from '../sync/apply'
import { changes, conversation, tempDir, user } from '../testing/fixtures'
import { dropCustomer } from './erasure'
import { openCache } from './open'
import { listInbox } from './queries'
import { countMatching, listVisibleViews, viewCountSql, viewFilterSql } from './view-queries'

const NOW = Date.UTC(2026, 0, 1, 12)
const MINUTE = 60_000
let dir: ReturnType<typeof tempDir>
let db: Database

/** Eight conversations, each differing from `plain` in one field a view can filter on. */
const conversations = [
  conversation('plain', 'c1'),
  conversation('pending', 'c1', { status: 'pending' }),
  conversation('mine', 'c1', { assigneeId: 'me' }),
  conversation('theirs', 'c1', { assigneeId: 'u2' }),
  conversation('urgent', 'c1', { priority: 'urgent' }),
  conversation('sms', 'c1', { channel: 'sms', inbox: 'SMS' }),
  conversation('billing', 'c1', { team: 'Billing', labels: ['refund', 'vip'] }),
  conversation('waiting-long', 'c1', { waitingSince: NOW - 90 * MINUTE }),
  conversation('waiting-short', 'c1', { waitingSince: NOW - 5 * MINUTE }),
  conversation('resolved-waiting', 'c1', { status: 'resolved', waitingSince: NOW - 90 * MINUTE }),
]

function view(id: string, over: Partial<SavedView> = {}): SavedView {
  return { id, name: id, ownerId: 'me', team: null, filters: {}, createdAt: 1, updatedAt: 1, deletedAt: null, ...over }
}

beforeEach(() => {
  dir = tempDir()
  db = openCache(dir.path, 'http://127.0.0.1:1')
  const seed = [['user', user('me')], ['user', user('u2')], ...conversations.map((c) => ['conversation', c] as const)] as Parameters<typeof changes>[1]
  applyBatch(db, { after: 0, cursor: seed.length, changes: changes(1, seed) })
})
afterEach(() => {
  db.close()
  dir.remove()
})

const matching = (filters: ViewFilters, userId: string | null = 'me'): string[] =>
  listInbox(db, { view: 'all', limit: 100, userId, narrow: viewFilterSql(filters, { userId, now: NOW }) })
    .map((r) => r.conversation.id)
    .sort()

describe('saved view filters as SQL', () => {
  it('matches everything without filters, and an empty list leaves its field free', () => {
    expect(matching({})).toHaveLength(conversations.length)
    expect(matching({ status: [], labels: [], channels: [] })).toHaveLength(conversations.length)
  })

  it('narrows by each field on its own', () => {
    expect(matching({ status: ['pending'] })).toEqual(['pending'])
    expect(matching({ status: ['pending', 'resolved'] })).toEqual(['pending', 'resolved-waiting'])
    expect(matching({ priorities: ['urgent', 'high'] })).toEqual(['urgent'])
    expect(matching({ channels: ['sms'] })).toEqual(['sms'])
    expect(matching({ inboxes: ['SMS'] })).toEqual(['sms'])
    expect(matching({ teams: ['Billing'] })).toEqual(['billing'])
    expect(matching({ labels: ['vip', 'nothing'] })).toEqual(['billing'])
    expect(matching({ labels: ['nothing'] })).toEqual([])
    expect(matching({ assignee: 'u2' })).toEqual(['theirs'])
  })

  it("reads 'me' as whoever opens the view, and 'unassigned' as nobody's", () => {
    expect(matching({ assignee: 'me' })).toEqual(['mine'])
    expect(matching({ assignee: 'me' }, 'u2')).toEqual(['theirs'])
    // Signed out, 'me' is nobody: an empty view rather than everyone's conversations.
    expect(matching({ assignee: 'me' }, null)).toEqual([])
    expect(matching({ assignee: 'unassigned' })).not.toContain('mine')
    expect(matching({ assignee: 'unassigned' })).not.toContain('theirs')
    expect(matching({ assignee: 'unassigned' })).toHaveLength(conversations.length - 2)
  })

  it('keeps conversations whose customer has waited at least that long, never resolved ones', () => {
    expect(matching({ waitingMinutes: 60 })).toEqual(['waiting-long'])
    expect(matching({ waitingMinutes: 60, status: ['open', 'resolved'] })).toEqual(['waiting-long'])
    expect(matching({ waitingMinutes: 60, status: ['resolved'] })).toEqual([])
    expect(countMatching(db, { waitingMinutes: 60, status: ['resolved'], priorities: ['normal'] }, { userId: 'me', now: NOW })).toBe(0)
    expect(countMatching(db, { waitingMinutes: 60, priorities: ['normal', 'urgent'] }, { userId: 'me', now: NOW })).toBe(1)
    expect(matching({ waitingMinutes: 5 })).toEqual(['waiting-long', 'waiting-short'])
    expect(matching({ waitingMinutes: 91 })).toEqual([])
  })

  it('ANDs the fields together', () => {
    expect(matching({ status: ['open'], waitingMinutes: 1, assignee: 'unassigned' })).toEqual(['waiting-long', 'waiting-short'])
    expect(matching({ teams: ['Billing'], labels: ['refund'], priorities: ['urgent'] })).toEqual([])
  })

  it('follows labels as they change, and forgets them with an erased customer', () => {
    let seq = conversations.length + 2
    const relabel = (labels: string[]) => {
      seq++
      applyBatch(db, { after: seq - 1, cursor: seq, changes: changes(seq, [['conversation', conversation('plain', 'c1', { labels })]]) })
    }
    const count = (labels: string[]) => countMatching(db, { labels }, { userId: 'me', now: NOW })
    relabel(['vip'])
    expect(matching({ labels: ['vip'] })).toEqual(['billing', 'plain'])
    relabel(['spam'])
    expect([matching({ labels: ['vip'] }), matching({ labels: ['spam'] })]).toEqual([['billing'], ['plain']])
    relabel([])
    expect(count(['spam'])).toBe(0)
    expect(db.prepare('SELECT count(*) FROM conversation_labels WHERE conversation_id = ?').pluck().get('plain')).toBe(0)
    dropCustomer(db, 'c1')
    expect(count(['refund', 'vip'])).toBe(0)
    expect(db.prepare('SELECT count(*) FROM conversation_labels').pluck().get()).toBe(0)
  })

  it('counts what the list shows', () => {
    for (const filters of [{}, { status: ['pending' as const] }, { assignee: 'me' as const }, { waitingMinutes: 1 }, { labels: ['refund'] }]) {
      expect(countMatching(db, filters, { userId: 'me', now: NOW })).toBe(matching(filters).length)
    }
  })
})

describe('saved view counts', () => {
  it('read an index alone, not the rows, for the usual views', () => {
    const ctx = { userId: 'me', now: NOW }
    for (const filters of [
      { status: ['open' as const], assignee: 'me' as const },
      { status: ['open' as const, 'pending' as const], assignee: 'unassigned' as const },
      { channels: ['sms' as const], status: ['pending' as const] },
      { inboxes: ['Support email'], status: ['open' as const] },
      { waitingMinutes: 60 },
      { status: ['open' as const], priorities: ['urgent' as const], waitingMinutes: 30 },
    ]) {
      const { sql, params } = viewCountSql(filters, ctx)
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail)
      expect(plan.find((d) => / c USING /.test(d)), JSON.stringify(filters)).toMatch(/COVERING INDEX/)
    }
  })
})

describe('which saved views the agent sees', () => {
  it('their own and those shared with their team, not deleted ones, by name', () => {
    const views = [
      view('b', { name: 'beta' }),
      view('a', { name: 'Alpha', ownerId: 'u2', team: 'Support' }),
      view('x', { name: 'other team', ownerId: 'u2', team: 'Billing' }),
      view('p', { name: 'private of u2', ownerId: 'u2' }),
      view('d', { name: 'deleted', deletedAt: 5 }),
    ]
    applyBatch(db, { after: conversations.length + 2, cursor: conversations.length + 2 + views.length, changes: changes(conversations.length + 3, views.map((v) => ['savedView', v])) })
    expect(listVisibleViews(db, { userId: 'me', team: 'Support' }).map((v) => v.id)).toEqual(['a', 'b'])
    expect(listVisibleViews(db, { userId: 'me', team: null }).map((v) => v.id)).toEqual(['b'])
    expect(listVisibleViews(db, { userId: null, team: null })).toEqual([])
  })
})
