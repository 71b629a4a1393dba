import type { Database } from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EntityName, EntityTypes } from '../../shared/domain'
import type { TimelinePage } from '../../shared/ipc'
import type { Core } from '../core'
import { openCache } from '../db/open'
import { TIMELINE_AFTER_SQL, TIMELINE_SQL } from '../db/queries'
import { createCore } from '../index'
import { applyBatch } from '../sync/apply'
import { changes, closedPort, conversation, customer, message, note, tempDir } from '../testing/fixtures'

const MINUTE = 60_000
const START = Date.UTC(2026, 0, 1)
const BIG = 10_000

let dir: ReturnType<typeof tempDir>
let core: Core
let serverUrl: string

// Read-only tests: one seeded cache serves them all.
beforeAll(async () => {
  dir = tempDir()
  serverUrl = `http://127.0.0.1:${await closedPort()}`
  const db = openCache(dir.path, serverUrl)
  const big = customer('big', { name: 'Busy Customer' })
  const small = customer('small', { name: 'Quiet Customer' })
  const email = conversation('v-email', 'big', { channel: 'email' })
  const sms = conversation('v-sms', 'big', { channel: 'sms' })
  const chat = conversation('v-chat', 'small', { channel: 'chat' })
  const items: { [E in EntityName]: [E, EntityTypes[E]] }[EntityName][] = [
    ['customer', big],
    ['customer', small],
    ['conversation', email],
    ['conversation', sms],
    ['conversation', chat],
  ]
  // One item a minute, alternating kinds and conversations, so every page mixes tables.
  for (let i = 0; i < BIG; i++) {
    const at = START + i * MINUTE
    const id = `i${String(i).padStart(5, '0')}`
    if (i % 5 === 4) items.push(['note', note(id, email, at)])
    else items.push(['message', message(id, i % 2 ? sms : email, at)])
  }
  for (let i = 0; i < 10; i++) items.push(['message', message(`s${i}`, chat, START + i * MINUTE)])
  applyBatch(db, { after: 0, cursor: items.length, changes: changes(1, items) })
  db.close()
  core = await createCore({ dataDir: dir.path, serverUrl, token: 'offline-token' })
})

afterAll(async () => {
  await core.close()
  dir.remove()
})

const timeline = (args: Record<string, unknown>) => core.handle('customer.timeline', args) as Promise<TimelinePage>
const ids = (page: TimelinePage) => page.items.map((i) => i.item.id)

describe('customer timeline with 10,000 items', () => {
  it('opens on one page of the latest items, like a customer with ten', async () => {
    const first = await timeline({ customerId: 'big' })
    expect(first.items).toHaveLength(100)
    expect(ids(first)[0]).toBe('i09999')
    expect(ids(first)[99]).toBe('i09900')
    expect(first.before).toEqual({ at: START + 9900 * MINUTE, id: 'i09900' })
    expect(first.after).toBeNull()

    const quiet = await timeline({ customerId: 'small' })
    expect(ids(quiet)).toEqual(['s9', 's8', 's7', 's6', 's5', 's4', 's3', 's2', 's1', 's0'])
    expect(quiet.before).toBeNull()
  })

  it('reads each page through the (customer_id, at, id) indexes, never the whole customer', () => {
    const db: Database = openCache(dir.path, serverUrl)
    try {
      for (const [sql, op] of [
        [TIMELINE_SQL, '<'],
        [TIMELINE_AFTER_SQL, '>'],
      ] as const) {
        const steps = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ customerId: 'big', beforeAt: 1, beforeId: 'x', afterAt: 1, afterId: 'x', limit: 100 }) as { detail: string }[]).map((r) => r.detail)
        for (const table of ['messages', 'notes', 'calls', 'events']) {
          expect(steps).toContainEqual(`SEARCH ${table} USING INDEX idx_${table}_timeline (customer_id=? AND (at,id)${op}(?,?))`)
        }
        expect(steps.filter((s) => /^SCAN \w+( \w+)?$/.test(s))).toEqual([])
      }
    } finally {
      db.close()
    }
  })

  it('pages back through every item exactly once, in order', async () => {
    const seen: string[] = []
    let before: TimelinePage['before'] = null
    let pages = 0
    do {
      const page: TimelinePage = await timeline({ customerId: 'big', limit: 1000, ...(before ? { before } : {}) })
      seen.push(...ids(page))
      before = page.before
      pages++
    } while (before)
    expect(pages).toBe(11)
    expect(seen).toHaveLength(BIG)
    expect(new Set(seen).size).toBe(BIG)
    expect(seen[0]).toBe('i09999')
    expect(seen.at(-1)).toBe('i00000')
  })

  it('jumps to a date: the page ending then, continuing both ways', async () => {
    const at = START + 5000 * MINUTE
    const page = await timeline({ customerId: 'big', until: at, limit: 50 })
    expect(ids(page)[0]).toBe('i05000')
    expect(ids(page).at(-1)).toBe('i04951')
    expect(page.after).toEqual({ at, id: 'i05000' })
    const newer = await timeline({ customerId: 'big', after: page.after, limit: 50 })
    expect(ids(newer)[0]).toBe('i05001')
    expect(ids(newer).at(-1)).toBe('i05050')
    expect(newer.after).toEqual({ at: START + 5050 * MINUTE, id: 'i05050' })
    const older = await timeline({ customerId: 'big', before: page.before, limit: 50 })
    expect(ids(older)[0]).toBe('i04950')

    // Before the first item: the oldest page; after the last: the latest one.
    const early = await timeline({ customerId: 'big', until: START - 1, limit: 3 })
    expect(ids(early)).toEqual(['i00000', 'i00001', 'i00002'])
    const late = await timeline({ customerId: 'big', until: START + BIG * MINUTE, limit: 3 })
    expect(ids(late)).toEqual(['i09999', 'i09998', 'i09997'])
    const end = await timeline({ customerId: 'big', after: late.after, limit: 3 })
    expect(end.items).toEqual([])
    expect(end.after).toBeNull()
  })

  it('refuses two starting points at once', async () => {
    await expect(timeline({ customerId: 'big', until: START, before: { at: START, id: 'x' } })).rejects.toThrow(/at most one of before, after and until/)
  })
})
