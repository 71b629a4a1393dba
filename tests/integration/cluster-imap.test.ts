import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import MailComposer from 'nodemailer/lib/mail-composer'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type SyncServer } from '../../src/server/server'
import { createTestDatabase, type TestDatabase } from '../support/postgres'
import { emailConnector, startDovecot, startSmtpCapture, type DovecotServer, type SmtpCapture } from './support/mail-servers'
import { eventually } from './support/eventually'

/**
 * Two nodes on one PostgreSQL database and one Redis, both configured with the same email inbox:
 * one node at a time reads the mailbox (the `imap:<inbox>` lease), so each delivered mail is
 * fetched and ingested once; when that node closes, the other reads on from the saved cursor.
 */

const REDIS_URL = process.env.THREADLINE_TEST_REDIS_URL || 'redis://127.0.0.1:6379'
const SUPPORT = 'support@threadline.test'

let database: TestDatabase
let db: pg.Client
let dir: string
let dovecot: DovecotServer
let smtp: SmtpCapture
let nodes: SyncServer[] = []

const node = (name: string) =>
  startServer({
    dbPath: path.join(dir, name, 'server.sqlite'),
    databaseUrl: database.url,
    redisUrl: REDIS_URL,
    logLevel: 'silent',
    outbound: 'none',
    leaseRetryMs: 100,
    inboxes: [
      {
        name: 'support',
        channel: 'email',
        connector: { ...emailConnector(dovecot, smtp, 'Threadline Support'), reconnect: { initialDelayMs: 50, maxDelayMs: 500 } },
      },
    ],
  })

async function metricsOf(server: SyncServer): Promise<string> {
  return (await fetch(`${server.url}/metrics`)).text()
}

const holdsMailbox = async (server: SyncServer): Promise<boolean> => (await metricsOf(server)).includes('threadline_leases_held{work="imap:support"} 1')

/** Items a node handed to ingest that were already stored: a mail fetched by both nodes would show here. */
async function duplicates(server: SyncServer): Promise<number> {
  const line = (await metricsOf(server)).split('\n').find((l) => l.startsWith('threadline_ingest_items_total{outcome="duplicate"}'))
  return line ? Number(line.split(' ').at(-1)) : 0
}

async function deliver(messageId: string, subject: string): Promise<void> {
  dovecot.deliver(await new MailComposer({ to: SUPPORT, from: 'Cara Customer <cara@customers.test>', subject, text: subject, messageId }).compile().build())
}

/** How many messages, and how many changes recording one, the database holds for this Message-ID. */
async function stored(messageId: string): Promise<{ messages: number; changes: number }> {
  const messages = await db.query<{ id: string }>(`SELECT id FROM messages WHERE external_id = $1`, [messageId])
  const ids = messages.rows.map((r) => r.id)
  const changes = await db.query<{ n: string }>(`SELECT count(*) AS n FROM changes WHERE entity = 'message' AND entity_id = ANY($1)`, [ids])
  return { messages: ids.length, changes: Number(changes.rows[0]!.n) }
}

beforeAll(async () => {
  database = await createTestDatabase()
  db = new pg.Client({ connectionString: database.url })
  db.on('error', () => undefined)
  await db.connect()
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-imap-cluster-'))
  dovecot = await startDovecot({ user: SUPPORT, password: 'imap-secret' })
  smtp = await startSmtpCapture()
  nodes = [await node('a'), await node('b')]
})

afterAll(async () => {
  await Promise.allSettled(nodes.map((n) => n.close()))
  await db?.end()
  await database?.drop()
  await smtp?.close()
  await dovecot?.cleanup()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

describe('one email inbox on two nodes', () => {
  let owner: SyncServer
  let other: SyncServer

  it('reads the mailbox on one node only, and ingests each mail once', async () => {
    await eventually(async () => (await Promise.all(nodes.map(holdsMailbox))).some(Boolean), 'a node to hold the mailbox lease')
    const holding = await Promise.all(nodes.map(holdsMailbox))
    expect(holding.filter(Boolean)).toHaveLength(1)
    owner = nodes[holding.indexOf(true)]!
    other = nodes[holding.indexOf(false)]!

    for (let i = 1; i <= 3; i++) await deliver(`<cluster-${i}@customers.test>`, `Question ${i}`)
    for (let i = 1; i <= 3; i++) {
      await eventually(async () => (await stored(`<cluster-${i}@customers.test>`)).messages === 1, `mail ${i} to be ingested`, 10_000)
    }
    // Time for a second reader to show, had there been one.
    await new Promise((r) => setTimeout(r, 500))
    for (let i = 1; i <= 3; i++) expect(await stored(`<cluster-${i}@customers.test>`)).toEqual({ messages: 1, changes: 1 })
    expect((await Promise.all(nodes.map(duplicates))).reduce((x, y) => x + y)).toBe(0)
    expect(dovecot.logins()).toBe(1)
    expect(await holdsMailbox(other)).toBe(false)
  })

  it('lets the other node read on from the saved cursor when the owner closes', async () => {
    await owner.close()
    nodes = nodes.filter((n) => n !== owner)
    // Delivered while no node reads the mailbox: the next reader finds it after the cursor.
    await deliver('<cluster-4@customers.test>', 'Question 4')
    await eventually(async () => holdsMailbox(other), 'the other node to take the mailbox over', 5_000)
    await eventually(async () => (await stored('<cluster-4@customers.test>')).messages === 1, 'mail 4 to be ingested by the new owner', 10_000)
    await deliver('<cluster-5@customers.test>', 'Question 5')
    await eventually(async () => (await stored('<cluster-5@customers.test>')).messages === 1, 'mail 5 to be ingested', 10_000)

    await new Promise((r) => setTimeout(r, 300))
    for (let i = 1; i <= 5; i++) expect(await stored(`<cluster-${i}@customers.test>`)).toEqual({ messages: 1, changes: 1 })
    // The new owner resumed from the cursor: nothing read before was handed to ingest again.
    expect(await duplicates(other)).toBe(0)
    expect(dovecot.logins()).toBe(2)
  })
})
