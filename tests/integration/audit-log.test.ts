import fs from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AuditEntry } from '../../src/shared/audit'
import { connectorActor, userActor } from '../../src/shared/actors'
import type { Core } from '../../src/core/core'
import { createCore } from '../../src/core/index'
import { openStore } from '../../src/server/store/open-store'
import { recordAudit } from '../../src/server/audit/record'
import { CLI_ORIGIN } from '../../src/server/audit/origin'
import { startServer, type ServerConfig, type SyncServer } from '../../src/server/server'
import { api, connectClient } from './server-fixtures'
import { agentWithToken, syncState, tempDir, waitFor, waitUntilSynced } from './support/sync-harness'
import { createTestDatabase, type TestDatabase } from '../support/postgres'

/**
 * The audit log through the real server, on each store engine: every action it records, made the
 * way users make it (the app over its socket, REST, the CLI, a customer's STOP by SMS), read back
 * over REST and exported as CSV by an admin only, never holding a word of a message.
 */

const SECRET = 'my locker code is 4417-unique-sentence'
const DAY = 86_400_000

let dir: ReturnType<typeof tempDir>
let dbPath: string
/** The PostgreSQL database of a test on that engine; null on SQLite. */
let postgres: TestDatabase | null = null
let server: SyncServer
const cores: Core[] = []

const database = () => ({ dbPath, databaseUrl: postgres?.url ?? null })
const start = (config: Partial<ServerConfig> = {}, port = 0) =>
  startServer({ ...database(), host: '127.0.0.1', port, logLevel: 'silent', outbound: 'sandbox', ...config })

type Query = Record<string, string | number | undefined>
const qs = (q: Query) =>
  new URLSearchParams(Object.entries(q).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : [[k, String(v)]]))).toString()

async function entries(token: string, q: Query = {}): Promise<AuditEntry[]> {
  const res = await api(server.url, 'GET', `/api/v1/audit?${qs({ limit: 500, ...q })}`, { token })
  expect(res.body).toMatchObject({ items: expect.any(Array) })
  return res.body.items as AuditEntry[]
}

async function twoCustomers(): Promise<{ a: { customerId: string; conversationId: string }; b: { customerId: string } }> {
  const a = await server.ingest({
    channel: 'sms',
    inbox: 'SMS',
    externalId: 'SM-audit-1',
    from: { kind: 'phone', address: '+14155550123', name: 'Priya Shah' },
    text: SECRET,
  })
  const b = await server.ingest({
    channel: 'email',
    inbox: 'support',
    externalId: '<audit-1@mail.test>',
    from: { kind: 'email', address: 'priya@example.com', name: 'Priya Shah' },
    subject: 'Locker',
    text: `email: ${SECRET}`,
  })
  return { a, b }
}

async function core(name: string, token: string): Promise<Core> {
  const c = await createCore({ dataDir: join(dir.path, name), serverUrl: server.url, token })
  cores.push(c)
  await waitUntilSynced(c, server)
  return c
}

describe.each(['sqlite', 'postgres'] as const)('the audit log on %s', (engine) => {
  beforeEach(async () => {
    dir = tempDir('threadline-audit-')
    dbPath = join(dir.path, 'server.sqlite')
    postgres = engine === 'postgres' ? await createTestDatabase() : null
    server = await start()
  }, 60_000)

  afterEach(async () => {
    await Promise.all(cores.splice(0).map((c) => c.close()))
    await server.close()
    await postgres?.drop()
    dir.remove()
  })

  it('records merges, consent changes and timeline views made in the app, and a STOP by SMS, with their origin', async () => {
    const admin = await agentWithToken(server, 'Ada Admin', 'admin')
    const ann = await agentWithToken(server, 'Ann Agent')
    const { a, b } = await twoCustomers()
    const app = await core('ann', ann.token)

    expect(await app.handle('customer.opened', { customerId: a.customerId })).toEqual({ reported: true })
    const { mergeId } = (await app.handle('customer.merge', { sourceId: a.customerId, targetId: b.customerId })) as { mergeId: string }
    const merged = await waitFor('the merge entry', async () => (await entries(admin.token, { action: 'customer.merged' }))[0])
    expect(merged).toMatchObject({
      actor: userActor(ann.user.id),
      actorName: 'Ann Agent',
      target: { type: 'customer', id: a.customerId },
      origin: { via: 'app', ip: expect.stringMatching(/127\.0\.0\.1/), clientId: expect.any(String) },
      details: { otherCustomerId: b.customerId, mergeId },
    })
    await app.handle('customer.unmerge', { mergeId })
    await waitFor('the unmerge entry', async () => (await entries(admin.token, { action: 'customer.unmerged', targetId: a.customerId })).length === 1)

    await app.handle('customer.setConsent', { customerId: a.customerId, conversationId: a.conversationId, changes: { promotional: false }, note: SECRET })
    const agentConsent = await waitFor('the agent’s consent entry', async () => (await entries(admin.token, { action: 'consent.changed' }))[0])
    expect(agentConsent).toMatchObject({
      actor: userActor(ann.user.id),
      target: { type: 'customer', id: a.customerId },
      origin: { via: 'app' },
      details: { consent: { promotional: false }, previousConsent: { promotional: null } },
    })

    // The customer's own STOP: the connector that carried it is the actor, their channel the origin.
    const stop = await server.ingest(
      {
        channel: 'sms',
        inbox: 'SMS',
        externalId: 'SM-audit-stop',
        from: { kind: 'phone', address: '+14155550123' },
        text: 'STOP',
        consent: { changes: { sms: false }, keyword: 'STOP' },
      },
      connectorActor('twilio-sms:SMS'),
    )
    const [byStop] = await entries(admin.token, { action: 'consent.changed', actor: connectorActor('twilio-sms:SMS') })
    expect(byStop).toMatchObject({
      actorName: 'twilio-sms:SMS',
      target: { type: 'customer', id: a.customerId },
      origin: { via: 'channel', ip: null },
      details: { consent: { sms: false }, keyword: 'STOP', channel: 'sms', messageId: stop.itemId },
    })

    // Opening the same timeline again soon is the same view; another customer's is a view of its own.
    expect(await app.handle('customer.opened', { customerId: a.customerId })).toEqual({ reported: false })
    expect(await app.handle('customer.opened', { customerId: b.customerId })).toEqual({ reported: true })
    await waitFor('both views', async () => (await entries(admin.token, { action: 'timeline.opened' })).length === 2)
    const views = await entries(admin.token, { action: 'timeline.opened' })
    expect(views.map((v) => v.target.id).sort()).toEqual([a.customerId, b.customerId].sort())
    expect(views.every((v) => v.actor === userActor(ann.user.id) && v.origin.via === 'app')).toBe(true)
    // Reading the timeline's pages is not a view of its own: only the app says when it opened one.
    await app.handle('customer.timeline', { customerId: b.customerId, limit: 50 })
    expect(await entries(admin.token, { action: 'timeline.opened' })).toHaveLength(2)
    // Over REST, the timeline's first page is an opening; a later page is not.
    const page = await api(server.url, 'GET', `/api/v1/customers/${b.customerId}/timeline?limit=1`, { token: ann.token })
    await api(server.url, 'GET', `/api/v1/customers/${b.customerId}/timeline?limit=1&before=${page.body.next}`, { token: ann.token })
    const [overRest] = await entries(admin.token, { action: 'timeline.opened', targetId: b.customerId })
    expect(overRest).toMatchObject({ actor: userActor(ann.user.id), origin: { via: 'rest', ip: '127.0.0.1' } })
    expect(await entries(admin.token, { action: 'timeline.opened' })).toHaveLength(3)

    await assertNoMessageText()
  })

  it('records a timeline opened offline once the app reconnects, with the time it was opened', async () => {
    const admin = await agentWithToken(server, 'Ada Admin', 'admin')
    const olive = await agentWithToken(server, 'Olive Offline')
    const { a } = await twoCustomers()
    const app = await core('olive', olive.token)
    const port = server.port
    await server.close()
    await waitFor('the app to notice', async () => (await syncState(app)).status === 'offline')

    const openedFrom = Date.now()
    await app.handle('customer.opened', { customerId: a.customerId })
    const openedTo = Date.now()
    // The report is not the agent's work: it is neither listed nor counted as pending.
    expect(await syncState(app)).toMatchObject({ pending: 0, failed: 0 })
    expect(await app.handle('outbox.list', {})).toEqual([])
    await new Promise((r) => setTimeout(r, 50))

    server = await start({}, port)
    const seen = await waitFor(
      'the offline view to reach the server',
      async () => (await entries(admin.token, { action: 'timeline.opened', targetId: a.customerId }))[0],
      30_000,
    )
    expect(seen.actor).toBe(userActor(olive.user.id))
    expect(seen.at).toBeGreaterThanOrEqual(openedFrom)
    expect(seen.at).toBeLessThanOrEqual(openedTo)
    expect(seen.recordedAt).toBeGreaterThan(openedTo)
  })

  it('records role, token and integration changes made over REST and by the CLI', async () => {
    const admin = await agentWithToken(server, 'Ada Admin', 'admin')
    const call = (method: string, route: string, body?: unknown) => api(server.url, method, route, { token: admin.token, body })

    const rita = await call('POST', '/api/v1/users', { name: 'Rita Agent', email: 'rita@example.test', role: 'agent' })
    await call('PATCH', `/api/v1/users/${rita.body.id}`, { role: 'supervisor' })
    await call('PATCH', `/api/v1/users/${rita.body.id}`, { name: 'Rita S. Agent' })
    const roles = await entries(admin.token, { action: 'user.role_changed', targetId: rita.body.id })
    expect(roles.map((e) => e.details)).toEqual([{ fromRole: 'agent', toRole: 'supervisor' }, { toRole: 'agent' }])
    expect(roles[0]).toMatchObject({ actor: userActor(admin.user.id), origin: { via: 'rest', ip: '127.0.0.1', userAgent: expect.any(String) } })

    await server.setPassword(rita.body.id, 'correct-horse-9')
    const signIn = await api(server.url, 'POST', '/api/v1/sessions', { body: { email: 'rita@example.test', password: 'correct-horse-9' } })
    const [created] = await entries(admin.token, { action: 'token.created', actor: userActor(rita.body.id) })
    expect(created).toMatchObject({ target: { type: 'token' }, details: { userId: rita.body.id }, origin: { via: 'rest' } })
    const revoke = await call('DELETE', `/api/v1/tokens/${created!.target.id}`)
    expect(revoke.status).toBe(204)
    expect((await api(server.url, 'GET', '/api/v1/me', { token: signIn.body.token })).status).toBe(401)
    expect(await entries(admin.token, { action: 'token.revoked', targetId: created!.target.id })).toHaveLength(1)

    const integration = await call('POST', '/api/v1/integrations', { name: 'Zapier', inboxes: ['SMS'] })
    await call('DELETE', `/api/v1/integrations/${integration.body.integration.id}`)
    const integrationEntries = await entries(admin.token, { targetType: 'integration', targetId: integration.body.integration.id })
    expect(integrationEntries.map((e) => e.action)).toEqual(['integration.revoked', 'integration.created'])

    // The CLI, against the same database while the server runs.
    await cli('user:update', '--email', 'rita@example.test', '--role', 'admin')
    const [byCli] = await entries(admin.token, { action: 'user.role_changed', actor: 'system:cli' })
    expect(byCli).toMatchObject({ target: { id: rita.body.id }, origin: { via: 'cli' }, details: { fromRole: 'supervisor', toRole: 'admin' } })
  })

  it('records exports, erasures, restores, purges and retention changes made through the privacy routes', async () => {
    const admin = await agentWithToken(server, 'Ada Admin', 'admin')
    const call = (method: string, route: string, body?: unknown) => api(server.url, method, route, { token: admin.token, body })
    const { a, b } = await twoCustomers()

    const archive = await fetch(`${server.url}/api/v1/customers/${a.customerId}/export`, { headers: { authorization: `Bearer ${admin.token}` } })
    expect(archive.status).toBe(200)
    await archive.arrayBuffer()
    expect((await call('POST', `/api/v1/customers/${a.customerId}/erase`, {})).status).toBeLessThan(300)
    expect((await call('POST', `/api/v1/customers/${a.customerId}/restore`)).status).toBeLessThan(300)
    expect((await call('POST', `/api/v1/customers/${b.customerId}/erase`, { now: true })).status).toBeLessThan(300)
    expect((await call('PUT', '/api/v1/retention', { rules: [], customersWithoutConversationsDays: 90 })).status).toBe(200)

    const actionsOn = async (id: string) => (await entries(admin.token, { targetId: id })).map((e) => e.action)
    expect(await actionsOn(a.customerId)).toEqual(['customer.restored', 'customer.erased', 'customer.exported'])
    await waitFor('the purge', async () => (await actionsOn(b.customerId)).includes('customer.purged'), 10_000)
    expect(await actionsOn(b.customerId)).toEqual(['customer.purged', 'customer.erased'])
    const [policy] = await entries(admin.token, { action: 'retention_policy.changed' })
    expect(policy).toMatchObject({ actor: userActor(admin.user.id), target: { type: 'retention_policy' }, origin: { via: 'rest' } })
    expect(JSON.stringify(await auditRows())).not.toContain('locker')
  })

  it('is for admins only: agents and supervisors get 403, and it never reaches a client through sync', async () => {
    const admin = await agentWithToken(server, 'Ada Admin', 'admin')
    const agent = await agentWithToken(server, 'Ann Agent')
    const supervisor = await agentWithToken(server, 'Sam Supervisor', 'supervisor')
    const { a } = await twoCustomers()
    const app = await core('ann', agent.token)
    await app.handle('customer.opened', { customerId: a.customerId })
    await waitFor('the view', async () => (await entries(admin.token)).length > 0)

    for (const who of [agent, supervisor]) {
      for (const route of ['/api/v1/audit', '/api/v1/audit/export']) {
        const res = await api(server.url, 'GET', route, { token: who.token })
        expect(res).toMatchObject({ status: 403, body: { error: { message: 'only admins may read the audit log' } } })
      }
    }
    expect(await entries(admin.token, { action: 'audit.exported' })).toEqual([])

    // An admin's own sync pulls no audit entry either.
    const { socket } = await connectClient(server.url, admin.token)
    const page = (await socket.timeout(5_000).emitWithAck('pull', { after: 0, limit: 1_000 })) as { changes: { entity: string; data: unknown }[] }
    socket.close()
    expect(page.changes.length).toBeGreaterThan(0)
    expect(JSON.stringify(page.changes)).not.toContain('timeline.opened')
  })

  it('exports every matching entry as CSV, page after page, and records the export', async () => {
    const admin = await agentWithToken(server, 'Ada Admin', 'admin')
    await server.close()
    const store = await openStore(database())
    const T = Date.UTC(2026, 0, 1)
    await store.write(async (w) => {
      for (let i = 0; i < 1_203; i++) {
        await recordAudit(w, { actor: userActor(admin.user.id), action: 'timeline.opened', target: { type: 'customer', id: `c-${i}` }, origin: CLI_ORIGIN, at: T + i })
      }
      await recordAudit(w, { actor: userActor(admin.user.id), action: 'customer.exported', target: { type: 'customer', id: 'c-x' }, origin: CLI_ORIGIN, at: T })
    })
    await store.close()
    server = await start()

    const res = await fetch(`${server.url}/api/v1/audit/export?${qs({ action: 'timeline.opened' })}`, { headers: { authorization: `Bearer ${admin.token}` } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="threadline-audit-log-\d{4}-\d\d-\d\d\.csv"$/)
    const lines = (await res.text()).trimEnd().split('\r\n')
    expect(lines[0]).toBe('id,at,recorded_at,actor,actor_name,action,target_type,target_id,via,ip,user_agent,client_id,details')
    expect(lines).toHaveLength(1 + 1_203)
    expect(lines[1]).toContain(',c-1202,cli,')
    expect(lines[1]).toContain(`,${new Date(T + 1_202).toISOString()},`)
    expect(lines.at(-1)).toContain(',c-0,cli,')
    expect(new Set(lines.slice(1).map((l) => l.split(',')[0])).size).toBe(1_203)

    const [exported] = await entries(admin.token, { action: 'audit.exported' })
    expect(exported).toMatchObject({ actor: userActor(admin.user.id), target: { type: 'audit_log' }, origin: { via: 'rest' } })

    // The CLI writes the same columns to a file only its owner may read.
    const file = join(dir.path, 'audit.csv')
    await cli('audit:export', '--action', 'customer.exported', '--from', '2026-01-01', '--to', '2026-01-02', '--out', file)
    expect(fs.readFileSync(file, 'utf8').trimEnd().split('\r\n')).toEqual([lines[0], expect.stringContaining(',customer.exported,customer,c-x,cli,')])
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
  })

  it('prunes entries past the retention period on its own schedule, when the node takes its lease', async () => {
    const admin = await agentWithToken(server, 'Ada Admin', 'admin')
    await server.close()
    const store = await openStore(database())
    const now = Date.now()
    for (const [id, age] of [['old', 40 * DAY], ['recent', 20 * DAY]] as const) {
      await recordAudit(store, { actor: userActor(admin.user.id), action: 'timeline.opened', target: { type: 'customer', id }, origin: CLI_ORIGIN, at: now - age })
    }
    await store.close()

    server = await start({ auditRetentionDays: 30 })
    await waitFor('the prune', async () => (await entries(admin.token, { action: 'timeline.opened' })).length === 1)
    expect((await entries(admin.token, { action: 'timeline.opened' })).map((e) => e.target.id)).toEqual(['recent'])
  })
})

/** Every row of the audit table, read from the database itself. */
async function auditRows(): Promise<unknown[]> {
  if (postgres) {
    const client = new pg.Client({ connectionString: postgres.url })
    await client.connect()
    try {
      return (await client.query('SELECT * FROM audit_log')).rows
    } finally {
      await client.end()
    }
  }
  const db = new Database(dbPath, { readonly: true })
  try {
    return db.prepare('SELECT * FROM audit_log').all()
  } finally {
    db.close()
  }
}

/** No message's words anywhere in the audit table, whatever was done. */
async function assertNoMessageText(): Promise<void> {
  const rows = JSON.stringify(await auditRows())
  expect(rows).toContain('customer.merged')
  expect(rows).not.toContain('locker')
  // The secret's own words: its digits alone can occur in a random id or a timestamp.
  expect(rows).not.toContain('4417-unique-sentence')
  expect(rows).not.toContain('Priya')
}

/** `npm run cli -- …` as a real process against the test database. */
async function cli(...args: string[]): Promise<string> {
  const { execFile } = await import('node:child_process')
  const { promisify } = await import('node:util')
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', ...args], {
    env: { ...process.env, THREADLINE_DB: dbPath, ...(postgres ? { DATABASE_URL: postgres.url } : {}) },
  })
  return stdout
}
