import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { connectorActor } from '../../src/shared/actors'
import { HtmlSanitizer } from '../../src/server/ingest/html-sanitizer'
import { InboundService } from '../../src/server/ingest/inbound-service'
import { DEFAULT_MATTER_WINDOWS } from '../../src/server/ingest/threading'
import { ServerMetrics } from '../../src/server/ops/metrics'
import { startServer, type ServerConfig, type SyncServer } from '../../src/server/server'
import { openSqliteStore } from '../../src/server/store/sqlite/sqlite-store'
import { ChangeFeed } from '../../src/server/sync/commit'
import { api, userWithToken } from './server-fixtures'
import { eventually } from './support/eventually'
import { postTwilioForm, startFakeProvider, twilioMessagesApi } from './support/fake-provider'

const SMS_CONNECTOR = connectorActor('twilio-sms:sms-main')
const PUBLIC_URL = 'https://threadline.example.test'
const AUTH_TOKEN = 'robustness-auth-token'
const SMS_PATH = '/webhooks/sms-main/sms'

const dirs: string[] = []
const servers: SyncServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

function tempDb(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-robust-'))
  dirs.push(dir)
  return path.join(dir, 'server.sqlite')
}

const config = (dbPath: string, apiBaseUrl = 'http://127.0.0.1:9'): Partial<ServerConfig> & { dbPath: string } => ({
  dbPath,
  host: '127.0.0.1',
  port: 0,
  logLevel: 'silent',
  publicUrl: PUBLIC_URL,
  inboxes: [
    {
      name: 'sms-main',
      channel: 'sms',
      connector: { type: 'twilio-sms', accountSid: 'AC1', authToken: AUTH_TOKEN, from: '+15005550006', apiBaseUrl },
    },
  ],
})

async function start(dbPath: string, apiBaseUrl?: string): Promise<SyncServer> {
  const server = await startServer(config(dbPath, apiBaseUrl))
  servers.push(server)
  return server
}

const sms = (sid: string, body: string) => ({ MessageSid: sid, From: '+12025550143', To: '+15005550006', Body: body, NumMedia: '0' })

/** A failure inside the ingest transaction that the input cannot be blamed for (the database refuses the row). */
function breakMessageInserts(dbPath: string, text = 'boom'): () => void {
  const db = new Database(dbPath)
  db.exec(`CREATE TRIGGER fail_boom BEFORE INSERT ON messages WHEN NEW.text = '${text.replace(/'/g, "''")}' BEGIN SELECT RAISE(ABORT, 'disk trouble (test)'); END`)
  return () => {
    db.exec('DROP TRIGGER fail_boom')
    db.close()
  }
}

describe('dead letters', () => {
  it('keeps an accepted webhook whose processing fails, shows it to supervisors, and ingests it on retry', async () => {
    const dbPath = tempDb()
    const server = await start(dbPath)
    const supervisor = (await userWithToken(server, 'Sam', { role: 'supervisor' })).token
    const agent = (await userWithToken(server, 'Alex')).token
    const repair = breakMessageInserts(dbPath)

    const res = await postTwilioForm(server.url, PUBLIC_URL, SMS_PATH, sms('SMboom1', 'boom'), AUTH_TOKEN)
    // Accepted: it is durable in the dead-letter table, so Twilio must not be told to give up.
    expect(res.status).toBe(200)
    expect((await server.counts()).messages).toBe(0)

    const letters = await api(server.url, 'GET', '/api/v1/dead-letters', { token: supervisor })
    expect(letters.status).toBe(200)
    expect(letters.body.items).toEqual([
      expect.objectContaining({ kind: 'inbound', attempts: 1, error: expect.stringContaining('disk trouble'), payload: expect.objectContaining({ externalId: 'SMboom1' }) }),
    ])
    const forAgent = await api(server.url, 'GET', '/api/v1/dead-letters', { token: agent })
    expect(forAgent.status).toBe(403)
    expect(forAgent.body.error.message).toMatch(/supervisors and admins only/)

    repair()
    await eventually(async () => (await server.counts()).messages === 1, 'the dead letter to be retried', 20_000)
    expect((await api(server.url, 'GET', '/api/v1/dead-letters', { token: supervisor })).body.items).toEqual([])
    // Twilio retrying the original webhook now changes nothing.
    await postTwilioForm(server.url, PUBLIC_URL, SMS_PATH, sms('SMboom1', 'boom'), AUTH_TOKEN)
    expect((await server.counts()).messages).toBe(1)
  })

  it('applies an SMS STOP that was dead-lettered when its retry stores it, and a provider retry of it changes nothing more', async () => {
    const dbPath = tempDb()
    const server = await start(dbPath)
    const supervisor = (await userWithToken(server, 'Sam', { role: 'supervisor' })).token
    expect((await postTwilioForm(server.url, PUBLIC_URL, SMS_PATH, sms('SMhello', 'Hello'), AUTH_TOKEN)).status).toBe(200)
    const found = await api(server.url, 'GET', '/api/v1/customers?q=%2B12025550143', { token: supervisor })
    const customerId = found.body.items[0].id as string
    const profile = async () => (await api(server.url, 'GET', `/api/v1/customers/${customerId}`, { token: supervisor })).body
    const consentEvents = async () =>
      ((await api(server.url, 'GET', `/api/v1/customers/${customerId}/timeline?limit=100`, { token: supervisor })).body.items as {
        kind: string
        item: { type?: string; data?: Record<string, unknown> }
      }[]).filter((e) => e.kind === 'event' && e.item.type === 'consent_changed')

    const repair = breakMessageInserts(dbPath, 'STOP')
    expect((await postTwilioForm(server.url, PUBLIC_URL, SMS_PATH, sms('SMstop1', 'STOP'), AUTH_TOKEN)).status).toBe(200)
    // The failed transaction took the consent change down with the message: neither is half there.
    expect((await server.counts()).messages).toBe(1)
    expect((await profile()).customer.consent).toEqual({})
    expect(await consentEvents()).toEqual([])

    repair()
    await eventually(async () => (await server.counts()).messages === 2, 'the dead-lettered STOP to be retried', 20_000)
    expect((await profile()).customer.consent).toEqual({ promotional: false, sms: false })
    const [event, ...more] = await consentEvents()
    expect(more).toEqual([])
    expect(event?.item.data).toMatchObject({ keyword: 'STOP', externalId: 'SMstop1', changes: { promotional: false, sms: false } })

    // The customer opts back in; Twilio's late retry of the old STOP must not opt them out again.
    await postTwilioForm(server.url, PUBLIC_URL, SMS_PATH, sms('SMstart1', 'START'), AUTH_TOKEN)
    expect((await profile()).customer.consent).toEqual({ promotional: true, sms: true })
    const before = await server.counts()
    expect((await postTwilioForm(server.url, PUBLIC_URL, SMS_PATH, sms('SMstop1', 'STOP'), AUTH_TOKEN)).status).toBe(200)
    expect(await server.counts()).toEqual(before)
    expect((await profile()).customer.consent).toEqual({ promotional: true, sms: true })
    expect(await consentEvents()).toHaveLength(2)
  })

  it('keeps a dead-lettered STOP at its arrival time, and does not let it override a later START when retried', async () => {
    const dbPath = tempDb()
    const server = await start(dbPath)
    const supervisor = (await userWithToken(server, 'Sam', { role: 'supervisor' })).token
    await postTwilioForm(server.url, PUBLIC_URL, SMS_PATH, sms('SMhi2', 'Hi'), AUTH_TOKEN)
    const customerId = (await api(server.url, 'GET', '/api/v1/customers?q=%2B12025550143', { token: supervisor })).body.items[0].id as string
    const timeline = async () =>
      (await api(server.url, 'GET', `/api/v1/customers/${customerId}/timeline?limit=100`, { token: supervisor })).body.items as {
        kind: string
        item: { type?: string; text?: string; sentAt?: number; data?: Record<string, unknown> }
      }[]

    const repair = breakMessageInserts(dbPath, 'STOP')
    const stopArrived = Date.now()
    expect((await postTwilioForm(server.url, PUBLIC_URL, SMS_PATH, sms('SMstop2', 'STOP'), AUTH_TOKEN)).status).toBe(200)
    await new Promise((r) => setTimeout(r, 50))
    // The customer changes their mind while the STOP waits in the dead letters.
    await postTwilioForm(server.url, PUBLIC_URL, SMS_PATH, sms('SMstart2', 'START'), AUTH_TOKEN)
    const profile = async () => (await api(server.url, 'GET', `/api/v1/customers/${customerId}`, { token: supervisor })).body
    expect((await profile()).customer.consent).toEqual({ promotional: true, sms: true })

    repair()
    await eventually(async () => (await server.counts()).messages === 3, 'the dead-lettered STOP to be retried', 20_000)
    const retriedAt = Date.now()
    // Their latest word stands.
    expect((await profile()).customer.consent).toEqual({ promotional: true, sms: true })
    const items = await timeline()
    const stop = items.find((e) => e.kind === 'message' && e.item.text === 'STOP')?.item
    const startMessage = items.find((e) => e.kind === 'message' && e.item.text === 'START')?.item
    // The STOP shows when it arrived, before the START, not at the time of the retry.
    expect(stop?.sentAt).toBeGreaterThanOrEqual(stopArrived)
    expect(stop?.sentAt).toBeLessThan(startMessage?.sentAt as number)
    expect(retriedAt - (stop?.sentAt as number)).toBeGreaterThan(1_000)
    const events = items.filter((e) => e.kind === 'event').map((e) => e.item)
    expect(events.filter((e) => e.type === 'consent_changed')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ keyword: 'START', changes: { promotional: true, sms: true } }) }),
    ])
    expect(events.filter((e) => e.type === 'consent_superseded')).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({ keyword: 'STOP', externalId: 'SMstop2', requested: { promotional: false, sms: false } }),
      }),
    ])
  })

  it('answers a dead-lettered SMS HELP once its retry stores it, and never a second time', async () => {
    const provider = await startFakeProvider(twilioMessagesApi('AC1', AUTH_TOKEN))
    try {
      const dbPath = tempDb()
      const server = await start(dbPath, provider.url)
      const supervisor = (await userWithToken(server, 'Sam', { role: 'supervisor' })).token
      const helpTexts = () => provider.requests.filter((r) => new URLSearchParams(r.body).get('Body')?.startsWith('Reply STOP to unsubscribe'))
      const repair = breakMessageInserts(dbPath, 'HELP')
      const help = sms('SMhelp1', 'HELP')
      expect((await postTwilioForm(server.url, PUBLIC_URL, SMS_PATH, help, AUTH_TOKEN)).status).toBe(200)
      expect((await server.counts()).messages).toBe(0)
      const [letter] = (await api(server.url, 'GET', '/api/v1/dead-letters', { token: supervisor })).body.items
      expect(helpTexts()).toHaveLength(0)

      repair()
      await eventually(async () => helpTexts().length === 1, 'the retried HELP to be answered', 20_000)
      expect((await api(server.url, 'GET', '/api/v1/dead-letters', { token: supervisor })).body.items).toEqual([])
      const customerId = (await api(server.url, 'GET', '/api/v1/customers?q=%2B12025550143', { token: supervisor })).body.items[0].id as string
      const messages = async () =>
        ((await api(server.url, 'GET', `/api/v1/customers/${customerId}/timeline?limit=100`, { token: supervisor })).body.items as {
          kind: string
          item: { direction: string; authorName: string; deliveryStatus: string }
        }[]).filter((e) => e.kind === 'message').map((e) => e.item)
      await eventually(async () => (await messages()).some((m) => m.direction === 'outbound' && m.deliveryStatus === 'sent'), 'the answer to show as sent')

      // Twilio re-delivers the webhook, and the same item is stored again (a second retry of it): no second answer.
      expect((await postTwilioForm(server.url, PUBLIC_URL, SMS_PATH, help, AUTH_TOKEN)).status).toBe(200)
      expect((await server.ingest(letter.payload)).duplicate).toBe(true)
      await new Promise((r) => setTimeout(r, 300))
      expect(helpTexts()).toHaveLength(1)
      const stored = await messages()
      expect(stored).toHaveLength(2)
      expect(stored).toContainEqual(expect.objectContaining({ direction: 'outbound', authorName: 'Automatic reply', deliveryStatus: 'sent' }))
    } finally {
      await provider.close()
    }
  })

  it('retries with growing delays while the failure lasts, then succeeds once', async () => {
    const dbPath = tempDb()
    const store = openSqliteStore(dbPath)
    const feed = new ChangeFeed(store)
    const warnings: object[] = []
    const log = { warn: (o: object) => warnings.push(o), error: () => {} }
    const sanitizer = new HtmlSanitizer({ budgetMs: 2_000 }, log)
    const inbound = new InboundService(store, feed, 'US', DEFAULT_MATTER_WINDOWS, sanitizer, log, new ServerMetrics())
    const repair = breakMessageInserts(dbPath)
    try {
      const item = { channel: 'sms', inbox: 'sms-main', externalId: 'SMboom2', from: { kind: 'phone', address: '+12025550143' }, text: 'boom' }
      await expect(inbound.accept(item, SMS_CONNECTOR)).rejects.toThrow(/will be retried/)
      const t0 = Date.now()
      const [letter] = await store.dueDeadLetters(Number.MAX_SAFE_INTEGER, 10)
      expect(letter).toMatchObject({ attempts: 1 })
      const first = letter!.nextAttemptAt
      expect(await inbound.retryDue(first - 1)).toBe(0) // not due yet: nothing is tried
      expect(warnings).toHaveLength(0)
      expect(await inbound.retryDue(first)).toBe(0)
      const second = (await store.dueDeadLetters(Number.MAX_SAFE_INTEGER, 10))[0]!
      expect(await inbound.retryDue(second.nextAttemptAt)).toBe(0)
      const third = (await store.dueDeadLetters(Number.MAX_SAFE_INTEGER, 10))[0]!
      expect(third.attempts).toBe(3)
      // Each wait is longer than the one before.
      expect(third.nextAttemptAt - second.nextAttemptAt).toBeGreaterThan(second.nextAttemptAt - first)
      expect(second.nextAttemptAt - first).toBeGreaterThan(first - t0 - 1)
      repair()
      expect(await inbound.retryDue(third.nextAttemptAt)).toBe(1)
      expect(await store.dueDeadLetters(Number.MAX_SAFE_INTEGER, 10)).toEqual([])
      expect((await store.counts()).messages).toBe(1)
      // The retry's changes are the connector's that handed the item over, not the retry loop's.
      const actors = new Database(dbPath, { readonly: true }).prepare('SELECT DISTINCT actor FROM changes').pluck().all()
      expect(actors).toEqual([SMS_CONNECTOR])
    } finally {
      await sanitizer.close()
      await store.close()
    }
  })
})

describe('restart mid-ingest', () => {
  it('loses nothing and duplicates nothing when the server stops while webhooks arrive', async () => {
    const dbPath = tempDb()
    const first = await start(dbPath)
    const all = Array.from({ length: 40 }, (_, i) => sms(`SMrestart${String(i).padStart(3, '0')}`, `message ${i}`))
    const outcomes = all.map((params, i) =>
      new Promise((r) => setTimeout(r, i * 3))
        .then(() => postTwilioForm(first.url, PUBLIC_URL, SMS_PATH, params, AUTH_TOKEN))
        .then((res) => res.status)
        .catch(() => 0),
    )
    // Stop while the burst is still arriving.
    await new Promise((r) => setTimeout(r, 40))
    await first.close()
    servers.splice(servers.indexOf(first), 1)
    const statuses = await Promise.all(outcomes)
    const acknowledged = all.filter((_, i) => statuses[i] === 200)
    expect(acknowledged.length).toBeLessThan(all.length)

    const second = await start(dbPath)
    // Every acknowledged webhook survived the restart.
    expect((await second.counts()).messages).toBeGreaterThanOrEqual(acknowledged.length)
    // Twilio retries what it got no answer for; a retry of an acknowledged one changes nothing.
    for (const params of all) {
      expect((await postTwilioForm(second.url, PUBLIC_URL, SMS_PATH, params, AUTH_TOKEN)).status).toBe(200)
    }
    expect(await second.counts()).toMatchObject({ messages: all.length, customers: 1, conversations: 1 })
    const token = (await userWithToken(second, 'Sam', { role: 'supervisor' })).token
    const found = await api(second.url, 'GET', '/api/v1/customers?q=%2B12025550143', { token })
    const conversation = (await api(second.url, 'GET', `/api/v1/customers/${found.body.items[0].id}`, { token })).body.conversations[0]
    const messages = await api(second.url, 'GET', `/api/v1/conversations/${conversation.id}/messages?limit=100`, { token })
    const sids = (messages.body.items as { externalId: string }[]).map((m) => m.externalId).sort()
    expect(sids).toEqual(all.map((p) => p.MessageSid).sort())
  })
})
