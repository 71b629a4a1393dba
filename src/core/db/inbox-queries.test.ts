import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { applyBatch } from '../sync/apply'
import { enqueueAction } from '../sync/outbox'
import { changes, conversation, customer, message, tempDir, user } from '../testing/fixtures'
import { NOT_DUE, NOT_WAITING } from './migrations'
import { openCache } from './open'
import { inboxCounts, inboxListSql, listInbox, markRead, markUnread, setSyncUser, type InboxRow } from './queries'
import { slaUnmetDueAt } from '../../shared/reporting/sla-due'

let dir: ReturnType<typeof tempDir>
let db: Database

const a = conversation('a', 'c1', { channel: 'email', team: 'Billing', assigneeId: 'u1', lastMessageAt: 500, waitingSince: 400 })
const b = conversation('b', 'c2', { channel: 'sms', team: 'Support', assigneeId: null, lastMessageAt: 400, waitingSince: 100 })
const c = conversation('c', 'c3', { channel: 'chat', team: 'Support', assigneeId: 'u1', status: 'resolved', lastMessageAt: 300 })
const d = conversation('d', 'c1', { channel: 'email', team: null, assigneeId: 'u2', status: 'pending', lastMessageAt: 200, waitingSince: 150 })

beforeEach(() => {
  dir = tempDir()
  db = openCache(dir.path, 'http://127.0.0.1:4100')
  applyBatch(db, {
    after: 0,
    cursor: 20,
    changes: changes(1, [
      ['user', user('u1', { name: 'Dana' })],
      ['user', user('u2', { name: 'Eli' })],
      ['customer', customer('c1', { name: 'Alice' })],
      ['customer', customer('c2', { name: 'Bob' })],
      ['customer', customer('c3', { name: 'Cleo' })],
      ['conversation', a],
      ['conversation', b],
      ['conversation', c],
      ['conversation', d],
      ['message', message('m1', a, 500)],
      ['message', message('m2', b, 400)],
      ['message', message('m3', c, 300)],
    ]),
  })
  setSyncUser(db, 'u1')
})
afterEach(() => {
  db.close()
  dir.remove()
})

const ids = (rows: { conversation: { id: string } }[]) => rows.map((r) => r.conversation.id)
const list = (over: Partial<Parameters<typeof listInbox>[1]> = {}) => listInbox(db, { view: 'all', userId: 'u1', limit: 50, ...over })

describe('inbox views, filters and sorts', () => {
  it('narrows to mine, unassigned, a team or a channel, with a status filter', () => {
    expect(ids(list())).toEqual(['a', 'b', 'c', 'd'])
    expect(ids(list({ view: 'mine' }))).toEqual(['a', 'c'])
    expect(ids(list({ view: 'mine', status: 'open' }))).toEqual(['a'])
    expect(ids(list({ view: 'unassigned' }))).toEqual(['b'])
    expect(ids(list({ team: 'Support' }))).toEqual(['b', 'c'])
    expect(ids(list({ channel: 'email' }))).toEqual(['a', 'd'])
    expect(ids(list({ channel: 'email', status: 'pending' }))).toEqual(['d'])
  })

  it('sorts by longest waiting, answered conversations last', () => {
    expect(ids(list({ sort: 'waiting' }))).toEqual(['b', 'd', 'a', 'c'])
  })

  it('sorts by the SLA target due soonest, breached first, those with nothing due (or resolved) last', () => {
    const clock = (dueAt: number, state: 'active' | 'breached' | 'achieved') => ({ startedAt: 0, dueAt, state, remainingMs: null })
    const sla = (firstResponse: ReturnType<typeof clock>) => ({ policy: 'P', replied: false, firstResponse, nextResponse: null, resolution: null })
    applyBatch(db, {
      after: 20,
      cursor: 24,
      changes: changes(21, [
        ['conversation', { ...a, sla: sla(clock(900, 'active')) }],
        ['conversation', { ...b, sla: sla(clock(100, 'achieved')) }],
        ['conversation', { ...c, sla: sla(clock(50, 'breached')) }],
        ['conversation', { ...d, sla: sla(clock(600, 'breached')) }],
      ]),
    })
    expect(ids(list({ sort: 'due' }))).toEqual(['d', 'a', 'b', 'c'])
    expect(ids(list({ sort: 'due', limit: 2, after: { key: 600, id: 'd' } }))).toEqual(['a', 'b'])
    expect(ids(list({ sort: 'due', after: { key: NOT_DUE, id: 'b' } }))).toEqual(['c'])
  })

  it('pages by keyset in either sort without skipping or repeating a row', () => {
    const first = list({ limit: 2 })
    const last = first.at(-1)!.conversation
    expect(ids(list({ limit: 2, after: { key: last.lastMessageAt, id: last.id } }))).toEqual(['c', 'd'])
    const firstWaiting = list({ sort: 'waiting', limit: 3 })
    const lastWaiting = firstWaiting.at(-1)!.conversation
    expect(ids(list({ sort: 'waiting', limit: 3, after: { key: lastWaiting.waitingSince ?? NOT_WAITING, id: lastWaiting.id } }))).toEqual(['c'])
  })

  it('pages through conversations of one instant in every sort, and a cursor row deleted between pages skips none', () => {
    const tied = ['t1', 't2', 't3', 't4', 't5', 't6', 't7'].map((id, i) =>
      conversation(id, 'c2', { lastMessageAt: 700, waitingSince: 50, priority: 'high', sla: { policy: 'P', replied: false, firstResponse: { startedAt: 0, dueAt: 40, state: 'active', remainingMs: null }, nextResponse: null, resolution: null }, channel: i % 2 ? 'sms' : 'email' }),
    )
    applyBatch(db, { after: 20, cursor: 30, changes: changes(21, tied.map((t) => ['conversation', t] as const)) })
    const keyOf = { activity: (r: InboxRow) => r.conversation.lastMessageAt, waiting: (r: InboxRow) => r.conversation.waitingSince ?? NOT_WAITING, due: (r: InboxRow) => (r.conversation.status === 'resolved' ? null : slaUnmetDueAt(r.conversation.sla)) ?? NOT_DUE, priority: (r: InboxRow) => r.conversation.lastMessageAt }
    for (const sort of ['activity', 'waiting', 'due', 'priority'] as const) {
      const whole = ids(list({ sort }))
      const paged: string[] = []
      let after: Parameters<typeof listInbox>[1]['after']
      for (let pages = 0; pages <= whole.length; pages++) {
        const page = list({ sort, limit: 2, ...(after ? { after } : {}) })
        paged.push(...ids(page))
        const last = page.at(-1)
        if (page.length < 2 || !last) break
        after = { key: keyOf[sort](last), id: last.conversation.id, ...(sort === 'priority' ? { priority: last.conversation.priority } : {}) }
      }
      expect(paged, sort).toEqual(whole)
      expect(new Set(paged).size, sort).toBe(whole.length)
    }
    const firstPage = list({ limit: 3 })
    expect(ids(firstPage).every((id) => id.startsWith('t'))).toBe(true)
    const cursorRow = firstPage.at(-1)!.conversation
    applyBatch(db, { after: 30, cursor: 31, changes: [{ seq: 31, entity: 'conversation', id: cursorRow.id, op: 'delete', data: null }] })
    const next = ids(list({ after: { key: 700, id: cursorRow.id } }))
    expect(next).toEqual(expect.arrayContaining(ids(list()).filter((id) => !ids(firstPage).includes(id))))
  })

  it('an optimistic change moves a conversation between views at once', () => {
    enqueueAction(db, { name: 'assign', args: { conversationId: 'b', assigneeId: 'u1', team: 'Billing' }, conversationId: 'b', itemId: null })
    expect(ids(list({ view: 'mine' }))).toEqual(['a', 'b', 'c'])
    expect(ids(list({ team: 'Billing' }))).toEqual(['a', 'b'])
    expect(ids(list({ view: 'unassigned' }))).toEqual([])
  })
})

describe('unread markers', () => {
  const unread = () => Object.fromEntries(list().map((r) => [r.conversation.id, r.unread]))

  it('never-opened conversations are unread while the customer waits', () => {
    expect(unread()).toEqual({ a: true, b: true, c: false, d: true })
  })

  it('opening marks read; a new inbound message makes it unread again, the agent’s own reply does not', () => {
    markRead(db, { conversationId: 'a', readAt: 500 })
    expect(unread().a).toBe(false)
    applyBatch(db, { after: 20, cursor: 21, changes: changes(21, [['message', message('m9', a, 550, { direction: 'outbound', authorId: 'u1' })]]) })
    expect(unread().a).toBe(false)
    applyBatch(db, { after: 21, cursor: 22, changes: changes(22, [['message', message('m10', a, 600)]]) })
    expect(unread().a).toBe(true)
  })

  it('mark unread sticks until the conversation is opened again', () => {
    markUnread(db, 'c')
    expect(unread().c).toBe(true)
    markRead(db, { conversationId: 'c', readAt: 300 })
    expect(unread().c).toBe(false)
  })
})

describe('counts per view', () => {
  it('counts every sidebar entry under the status filter, and the unread badge', () => {
    expect(inboxCounts(db, { userId: 'u1' })).toEqual({
      all: 4,
      mine: 2,
      unassigned: 1,
      mineUnread: 1,
      teams: [
        { team: 'Billing', count: 1 },
        { team: 'Support', count: 2 },
      ],
      channels: [
        { channel: 'chat', count: 1 },
        { channel: 'email', count: 2 },
        { channel: 'sms', count: 1 },
      ],
    })
    const open = inboxCounts(db, { userId: 'u1', status: 'open' })
    expect([open.all, open.mine, open.unassigned]).toEqual([2, 1, 1])
    expect(open.teams).toEqual([
      { team: 'Billing', count: 1 },
      { team: 'Support', count: 1 },
    ])
  })

  it('follows every change to a conversation: reassigned, resolved, moved, deleted, added', () => {
    applyBatch(db, {
      after: 20,
      cursor: 25,
      changes: [
        ...changes(21, [
          ['conversation', { ...a, assigneeId: 'u2' }],
          ['conversation', { ...b, status: 'resolved' }],
          ['conversation', { ...c, team: 'Billing', channel: 'sms' }],
          ['conversation', conversation('e', 'c2', { channel: 'chat', team: null, assigneeId: null })],
        ]),
        { seq: 25, entity: 'conversation', id: 'd', op: 'delete', data: null },
      ],
    })
    // What counting the conversations themselves gives, for each status filter.
    const recount = (status?: string) => {
      const where = status === undefined ? '1' : 'status = @status'
      const p = status === undefined ? {} : { status }
      const n = (extra: string) => (db.prepare(`SELECT count(*) AS n FROM conversations WHERE ${where} AND ${extra}`).get(p) as { n: number }).n
      return {
        all: n('1'),
        mine: n(`assignee_id = 'u1'`),
        unassigned: n('assignee_id IS NULL'),
        teams: db.prepare(`SELECT team, count(*) AS count FROM conversations WHERE team IS NOT NULL AND ${where} GROUP BY team ORDER BY team`).all(p),
        channels: db.prepare(`SELECT channel, count(*) AS count FROM conversations WHERE ${where} GROUP BY channel ORDER BY channel`).all(p),
      }
    }
    for (const status of [undefined, 'open', 'resolved', 'pending']) {
      expect(inboxCounts(db, { userId: 'u1', status })).toMatchObject(recount(status))
    }
    expect(inboxCounts(db, { userId: 'u1' })).toMatchObject({ all: 4, mine: 1, unassigned: 2 })
    expect(inboxCounts(db, { userId: 'u1', status: 'pending' }).all).toBe(0)
    expect(inboxCounts(db, { userId: 'u1', status: 'pending' }).channels).toEqual([])
  })
})

describe('inbox query plans', () => {
  function plan(sql: string): string[] {
    return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ limit: 50, userId: 'u1', status: 'open', team: 't', channel: 'sms', afterKey: 1, afterRowid: 1 }) as { detail: string }[]).map(
      (r) => r.detail,
    )
  }
  const scopes = [
    { name: 'all', view: 'all', index: '' },
    { name: 'mine', view: 'mine', index: 'assignee_' },
    { name: 'team', view: 'all', hasTeam: true, index: 'team_' },
    { name: 'channel', view: 'all', hasChannel: true, index: 'channel_' },
  ] as const
  for (const scope of scopes) {
    for (const hasStatus of [false, true]) {
      for (const sort of ['activity', 'waiting', 'due'] as const) {
        it(`${scope.name}${hasStatus ? ' + status' : ''}, by ${sort}, paged: one index walk, no sort`, () => {
          const steps = plan(inboxListSql({ ...scope, hasStatus, sort, hasCursor: true }))
          const index = `idx_conversations_${scope.index}${hasStatus ? 'status_' : ''}${sort === 'due' ? 'sla_due' : sort}`
          expect(steps).toContainEqual(expect.stringContaining(`USING INDEX ${index} `))
          expect(steps.filter((s) => s.includes('TEMP B-TREE'))).toEqual([])
          expect(steps.filter((s) => /^SCAN \w+( \w+)?$/.test(s))).toEqual([])
          expect(steps).toContainEqual(expect.stringContaining('SEARCH r USING INDEX sqlite_autoindex_read_markers_1'))
        })
      }
    }
  }
})
