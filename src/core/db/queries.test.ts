import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../testing/fixtures'
import { openCache } from './open'
import { inboxListSql, TIMELINE_SQL } from './queries'

let dir: ReturnType<typeof tempDir>
let db: Database
beforeEach(() => {
  dir = tempDir()
  db = openCache(dir.path, 'http://127.0.0.1:4100')
})
afterEach(() => {
  db.close()
  dir.remove()
})

function plan(sql: string, params: Record<string, unknown>): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail)
}

/** A plan step that reads a whole table instead of going through an index. */
function fullScans(steps: string[]): string[] {
  return steps.filter((s) => /^SCAN \w+$/.test(s) || /^SCAN \w+ \w+$/.test(s))
}

describe('hot queries use their indexes', () => {
  const cases = [
    { view: 'all', hasStatus: false, index: 'idx_conversations_activity' },
    { view: 'all', hasStatus: true, index: 'idx_conversations_status_activity' },
    { view: 'mine', hasStatus: false, index: 'idx_conversations_assignee_activity' },
    { view: 'mine', hasStatus: true, index: 'idx_conversations_assignee_status_activity' },
    { view: 'unassigned', hasStatus: false, index: 'idx_conversations_assignee_activity' },
    { view: 'unassigned', hasStatus: true, index: 'idx_conversations_assignee_status_activity' },
  ] as const

  for (const c of cases) {
    it(`inbox list, view ${c.view}${c.hasStatus ? ' with a status filter' : ''}`, () => {
      const steps = plan(inboxListSql(c), { limit: 50, userId: 'u1', status: 'open' })
      expect(steps.some((s) => s.includes(`USING INDEX ${c.index}`) || s.includes(`USING COVERING INDEX ${c.index}`))).toBe(true)
      // Ordered by the index itself: no sort of the whole inbox before the LIMIT.
      expect(steps.filter((s) => s.includes('TEMP B-TREE'))).toEqual([])
      expect(fullScans(steps)).toEqual([])
      expect(steps.some((s) => s.includes('idx_messages_conversation'))).toBe(true)
    })
  }

  it('customer timeline reads each table through its (customer_id, at, id) index', () => {
    const steps = plan(TIMELINE_SQL, { customerId: 'c1', beforeAt: 10, beforeId: 'x', limit: 100 })
    for (const table of ['messages', 'notes', 'calls', 'events']) {
      expect(steps).toContainEqual(expect.stringMatching(new RegExp(`SEARCH ${table} USING INDEX idx_${table}_timeline \\(customer_id=\\? AND \\(at,id\\)<\\(\\?,\\?\\)\\)`)))
    }
    expect(fullScans(steps)).toEqual([])
  })
})
