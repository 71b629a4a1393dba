import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../tests/support/postgres'
import { createLeases, type Leases } from './leases'
import { ServerMetrics } from './metrics'

/**
 * Leases on a real PostgreSQL: two lease services stand for two nodes. A node "dies" by having
 * its lock session ended from outside (pg_terminate_backend), as a killed process or a lost
 * network ends it.
 */

const RETRY_MS = 100
const quiet = process.env.LEASE_DEBUG ? { info: console.log, warn: console.log, error: console.log } : { info: () => undefined, warn: () => undefined, error: () => undefined }

let database: TestDatabase
let admin: pg.Client
const open: Leases[] = []

beforeAll(async () => {
  database = await createTestDatabase()
  admin = new pg.Client({ connectionString: database.url })
  admin.on('error', () => undefined)
  await admin.connect()
})

afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((l) => l.close()))
})

afterAll(async () => {
  await admin?.end()
  await database?.drop()
})

/** A work that records whether it runs, and how often it was started and stopped. */
function recorder() {
  const work = {
    running: false,
    starts: 0,
    stops: 0,
    async start() {
      if (work.running) throw new Error('started twice')
      work.running = true
      work.starts++
    },
    async stop() {
      work.running = false
      work.stops++
    },
  }
  return work
}

function node(name: string, metrics?: ServerMetrics): { leases: Leases; applicationName: string } {
  const applicationName = `leases-test-${name}-${randomUUID().slice(0, 8)}`
  const leases = createLeases({ databaseUrl: database.url, retryMs: RETRY_MS, log: quiet, applicationName, ...(metrics ? { metrics } : {}) })
  open.push(leases)
  return { leases, applicationName }
}

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<number> {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
  return Date.now() - started
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function killSession(applicationName: string): Promise<void> {
  const { rows } = await admin.query<{ killed: boolean }>(
    'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = $1',
    [applicationName],
  )
  expect(rows).toEqual([{ killed: true }])
}

describe('leases on PostgreSQL', () => {
  it('runs a work on exactly one of two nodes', async () => {
    const a = node('a')
    const b = node('b')
    const workA = recorder()
    const workB = recorder()
    a.leases.hold('outbound', workA)
    b.leases.hold('outbound', workB)
    await until(() => workA.running || workB.running, 'one node to start the work')
    // Several rounds of asking later, still one.
    await sleep(RETRY_MS * 5)
    expect([workA.running, workB.running].filter(Boolean)).toHaveLength(1)
    expect(workA.starts + workB.starts).toBe(1)
    expect(a.leases.owned('outbound')).toBe(workA.running)
    expect(b.leases.owned('outbound')).toBe(workB.running)
  })

  it('holds leases of different names independently', async () => {
    const a = node('a')
    const b = node('b')
    const first = recorder()
    const second = recorder()
    a.leases.hold('imap:Support', first)
    b.leases.hold('imap:Sales', second)
    await until(() => first.running && second.running, 'both works to start, one on each node')
  })

  it('stops the work on a node whose lock session dies, and starts it on the other within about retryMs', async () => {
    const metrics = new ServerMetrics()
    const a = node('a', metrics)
    const workA = recorder()
    a.leases.hold('dead-letters', workA)
    await until(() => workA.running, 'the first node to start the work')
    expect(await metrics.text()).toContain('threadline_leases_held{work="dead-letters"} 1')
    const b = node('b')
    const workB = recorder()
    b.leases.hold('dead-letters', workB)
    await sleep(RETRY_MS * 3)
    expect(workB.running).toBe(false)

    await killSession(a.applicationName)
    await until(() => !workA.running, 'the work to stop on the node that lost its session', 2_000)
    expect(workA.stops).toBe(1)
    expect(a.leases.owned('dead-letters')).toBe(false)
    expect(await metrics.text()).toContain('threadline_leases_held{work="dead-letters"} 0')
    const tookOver = await until(() => workB.running, 'the other node to take the work over')
    expect(tookOver).toBeLessThan(RETRY_MS * 10)

    // The first node reconnected and competes again: it wins the work back once the other lets go.
    await b.leases.close()
    await until(() => workA.running, 'the first node to win the work back after reconnecting')
    expect(workA.starts).toBe(2)
    expect(workB.running).toBe(false)
  })

  it('hands the work over promptly when the owner closes, after its work stopped', async () => {
    const a = node('a')
    const b = node('b')
    let stopping = false
    let overlap = false
    const workA = {
      ...recorder(),
      async start() {},
      async stop() {
        stopping = true
        // A send in hand: the other node must not start before this is over.
        await sleep(RETRY_MS * 3)
        stopping = false
      },
    }
    a.leases.hold('outbound', workA)
    await until(() => a.leases.owned('outbound'), 'the first node to own the work')
    const workB = recorder()
    const start = workB.start.bind(workB)
    workB.start = async () => {
      if (stopping) overlap = true
      await start()
    }
    b.leases.hold('outbound', workB)
    await sleep(RETRY_MS * 2)
    const closed = Date.now()
    await a.leases.close()
    await until(() => workB.running, 'the other node to start the work')
    expect(Date.now() - closed).toBeLessThan(RETRY_MS * 3 + RETRY_MS * 5)
    expect(overlap).toBe(false)
  })

  it('gives a lease up when releasing one work, keeping the others', async () => {
    const a = node('a')
    const b = node('b')
    const one = recorder()
    const two = recorder()
    const release = a.leases.hold('one', one)
    a.leases.hold('two', two)
    await until(() => one.running && two.running, 'both works to start')
    const other = recorder()
    b.leases.hold('one', other)
    await release()
    expect(one.running).toBe(false)
    await until(() => other.running, 'the other node to take the released work')
    expect(a.leases.owned('two')).toBe(true)
  })

  it('gives the lease up when its work fails to start, and tries again later', async () => {
    const a = node('a')
    let attempts = 0
    const work = {
      running: false,
      async start() {
        attempts++
        if (attempts === 1) throw new Error('the mail server said no')
        work.running = true
      },
      async stop() {
        work.running = false
      },
    }
    a.leases.hold('flaky', work)
    await until(() => work.running, 'the work to start on a later round')
    expect(attempts).toBe(2)
  })

  it('refuses a second hold of one name on one server', () => {
    const a = node('a')
    a.leases.hold('outbound', recorder())
    expect(() => a.leases.hold('outbound', recorder())).toThrow(/already held/)
  })
})

describe('leases without PostgreSQL (SQLite: one node)', () => {
  it('grants every lease at once, and stops the work on close', async () => {
    const leases = createLeases({ databaseUrl: null, log: quiet })
    const work = recorder()
    leases.hold('outbound', work)
    await Promise.resolve()
    expect(work.running).toBe(true)
    expect(leases.owned('outbound')).toBe(true)
    await leases.close()
    expect(work.running).toBe(false)
    expect(work.stops).toBe(1)
  })
})
