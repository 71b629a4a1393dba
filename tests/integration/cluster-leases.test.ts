import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type SyncServer } from '../../src/server/server'
import { createTestDatabase, type TestDatabase } from '../support/postgres'
import { api, userWithToken } from './server-fixtures'
import { eventually } from './support/eventually'

/**
 * Two nodes on one PostgreSQL database and one Redis: outbound sending runs on one node at a time
 * (the `outbound` lease). A reply committed on the other node is sent by the owner, once, and when
 * the owner goes the other node takes the sending over.
 */

const REDIS_URL = process.env.THREADLINE_TEST_REDIS_URL || 'redis://127.0.0.1:6379'

let database: TestDatabase
let db: pg.Client
let dir: string
let a: SyncServer
let b: SyncServer

const node = (name: string, leaseRetryMs: number) =>
  startServer({
    dbPath: path.join(dir, name, 'server.sqlite'),
    databaseUrl: database.url,
    redisUrl: REDIS_URL,
    logLevel: 'silent',
    outbound: 'sandbox',
    leaseRetryMs,
  })

/** Whether the node's /metrics says it holds the lease. */
async function holds(server: SyncServer, work: string): Promise<boolean> {
  const res = await fetch(`${server.url}/metrics`)
  return (await res.text()).includes(`threadline_leases_held{work="${work}"} 1`)
}

/** How often each delivery state of the message was recorded: a second send would record "sent" twice. */
async function recordedStates(messageId: string): Promise<Record<string, number>> {
  const { rows } = await db.query<{ status: string; n: string }>(
    `SELECT data->>'deliveryStatus' AS status, count(*) AS n FROM changes WHERE entity = 'message' AND entity_id = $1 GROUP BY 1`,
    [messageId],
  )
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))
}

beforeAll(async () => {
  database = await createTestDatabase()
  db = new pg.Client({ connectionString: database.url })
  db.on('error', () => undefined)
  await db.connect()
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-leases-'))
  a = await node('a', 100)
  await eventually(async () => holds(a, 'outbound'), 'the first node to hold the outbound lease')
  // B asks for what it does not hold only every 1.5 s: after A closes, a reply committed at once
  // is queued while nobody sends, and must be found by B when it takes over.
  b = await node('b', 1_500)
})

afterAll(async () => {
  await Promise.allSettled([a?.close(), b?.close()])
  await db?.end()
  await database?.drop()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('outbound sending on two nodes', () => {
  let token: string
  let conversationId: string

  it('sends a reply committed on the node that does not send, through the node that does, exactly once', async () => {
    expect(await holds(a, 'outbound')).toBe(true)
    expect(await holds(a, 'dead-letters')).toBe(true)
    expect(await holds(b, 'outbound')).toBe(false)
    expect(await holds(b, 'dead-letters')).toBe(false)

    token = (await userWithToken(b, 'Lease Agent')).token
    const inbound = await b.ingest({
      channel: 'sms',
      inbox: 'API',
      externalId: 'lease-1',
      from: { kind: 'phone', address: '+14155550177' },
      text: 'Has my order shipped?',
    })
    conversationId = inbound.conversationId
    const reply = await api(b.url, 'POST', `/api/v1/conversations/${conversationId}/reply`, {
      token,
      body: { text: 'It left this morning.', messageId: 'lease-reply-1' },
    })
    expect(reply.status).toBe(201)
    expect(reply.body).toMatchObject({ deliveryStatus: 'queued' })

    await eventually(async () => (await recordedStates('lease-reply-1')).delivered === 1, 'the reply to be delivered', 10_000)
    // Time for a second send to show, had one happened.
    await new Promise((r) => setTimeout(r, 500))
    expect(await recordedStates('lease-reply-1')).toEqual({ queued: 1, sent: 1, delivered: 1 })
  })

  it('takes the sending over when the owner closes, and sends a reply queued meanwhile', async () => {
    await a.close()
    const closedAt = Date.now()
    const reply = await api(b.url, 'POST', `/api/v1/conversations/${conversationId}/reply`, {
      token,
      body: { text: 'Tracking number to follow.', messageId: 'lease-reply-2' },
    })
    expect(reply.status).toBe(201)

    await eventually(async () => holds(b, 'outbound'), 'the other node to take the outbound lease', 5_000)
    expect(await holds(b, 'dead-letters')).toBe(true)
    await eventually(async () => (await recordedStates('lease-reply-2')).delivered === 1, 'the queued reply to be delivered', 10_000)
    expect(Date.now() - closedAt).toBeLessThan(5_000)
    await new Promise((r) => setTimeout(r, 300))
    expect(await recordedStates('lease-reply-2')).toEqual({ queued: 1, sent: 1, delivered: 1 })
    expect(await recordedStates('lease-reply-1')).toEqual({ queued: 1, sent: 1, delivered: 1 })
  })
})
