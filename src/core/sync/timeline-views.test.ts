import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openCache } from '../db/open'
import { countOutbox, listAllOutbox, listPendingOutbox } from '../db/queries'
import { tempDir } from '../testing/fixtures'
import { reportTimelineOpened, TIMELINE_VIEW_WINDOW_MS } from './timeline-views'

let dir: ReturnType<typeof tempDir>
let db: Database
const T = 1_767_000_000_000

beforeEach(() => {
  dir = tempDir()
  db = openCache(dir.path, 'http://127.0.0.1:4100')
})
afterEach(() => {
  db.close()
  dir.remove()
})

const reported = () => listPendingOutbox(db, 100).map((row) => [row.name, row.args])

describe('timeline views reported for the audit log', () => {
  it('reports a customer once per window, each customer on its own, with the time it was opened', () => {
    expect(reportTimelineOpened(db, 'c1', T)).toBe(true)
    expect(reportTimelineOpened(db, 'c1', T + TIMELINE_VIEW_WINDOW_MS - 1)).toBe(false)
    expect(reportTimelineOpened(db, 'c2', T + 5)).toBe(true)
    expect(reportTimelineOpened(db, 'c1', T + TIMELINE_VIEW_WINDOW_MS)).toBe(true)
    expect(reported()).toEqual([
      ['timelineOpened', { customerId: 'c1', openedAt: T }],
      ['timelineOpened', { customerId: 'c2', openedAt: T + 5 }],
      ['timelineOpened', { customerId: 'c1', openedAt: T + TIMELINE_VIEW_WINDOW_MS }],
    ])
  })

  it('counts a report still queued from before a restart, and never lists reports as the agent’s pending work', () => {
    reportTimelineOpened(db, 'c1', T)
    db.close()
    db = openCache(dir.path, 'http://127.0.0.1:4100')
    expect(reportTimelineOpened(db, 'c1', T + 1_000)).toBe(false)
    expect(reported()).toHaveLength(1)
    expect(countOutbox(db)).toEqual({ pending: 0, failed: 0 })
    expect(listAllOutbox(db)).toEqual([])
  })

  it('reports again when the clock went back past the last report', () => {
    reportTimelineOpened(db, 'c1', T)
    expect(reportTimelineOpened(db, 'c1', T - 60_000)).toBe(true)
  })
})
