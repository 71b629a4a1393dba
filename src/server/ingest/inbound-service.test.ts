import { setImmediate as nextTurn } from 'node:timers/promises'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../tests/support/postgres'
import { connectorActor } from '../../shared/actors'
import { ServerMetrics } from '../ops/metrics'
import { openPostgresStore } from '../store/postgres/postgres-store'
import { WRITERS_LOCK } from '../store/postgres/write-locks'
import { ChangeFeed } from '../sync/commit'
import { HtmlSanitizer } from './html-sanitizer'
import { InboundService } from './inbound-service'
import { DEFAULT_MATTER_WINDOWS } from './threading'

const ACTOR = connectorActor('twilio-sms:sms-main')

const sms = (n: number) => ({
  channel: 'sms',
  inbox: 'sms-main',
  externalId: `SM${n}`,
  from: { kind: 'phone', address: `+1202555${String(1000 + n)}` },
  text: `message ${n}`,
})

describe('InboundService on PostgreSQL: group commits', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase()
  }, 60_000)
  afterAll(() => db?.drop(), 60_000)

  it('gathers the items that arrive while a group commits into the next group, instead of a transaction each', { timeout: 30_000 }, async () => {
    const store = await openPostgresStore(db.url)
    const feed = new ChangeFeed(store)
    let commits = 0
    feed.subscribe(() => commits++)
    const log = { warn: () => {}, error: () => {} }
    const sanitizer = new HtmlSanitizer({ budgetMs: 2_000 }, log)
    const inbound = new InboundService(store, feed, 'US', DEFAULT_MATTER_WINDOWS, sanitizer, log, new ServerMetrics())
    // Another node's write holds the writers' lock, so the first group's transaction waits.
    const other = new pg.Client({ connectionString: db.url })
    await other.connect()
    try {
      await other.query('SELECT pg_advisory_lock($1::bigint)', [WRITERS_LOCK])
      const first = inbound.accept(sms(0), ACTOR)
      for (let waiting = false; !waiting; ) {
        await nextTurn()
        const { rows } = await other.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)
        waiting = rows[0].n > 0
      }
      // Nine more, one per turn of the event loop, while the first group waits.
      const rest = []
      for (let n = 1; n < 10; n++) {
        rest.push(inbound.accept(sms(n), ACTOR))
        await nextTurn()
      }
      await other.query('SELECT pg_advisory_unlock($1::bigint)', [WRITERS_LOCK])
      const results = await Promise.all([first, ...rest])

      expect(results.filter((r) => !r.duplicate)).toHaveLength(10)
      expect(new Set(results.map((r) => r.itemId)).size).toBe(10)
      expect((await store.counts()).messages).toBe(10)
      // The first item's group, then one group of the nine that waited for it.
      expect(commits).toBe(2)
    } finally {
      await other.end()
      await sanitizer.close()
      await store.close()
    }
  })
})
