import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RetentionRun, RetentionSettings } from '../../src/shared/retention'
import { api, startTestServer, userWithToken, type TestServer } from './server-fixtures'

/** Retention over REST on a real server: admins set rules, preview and run; the log and the audit log say what happened. */

let t: TestServer
let admin: { token: string }
let supervisor: { token: string }

beforeAll(async () => {
  t = await startTestServer()
  admin = await userWithToken(t.server, 'Ada Admin', { role: 'admin' })
  supervisor = await userWithToken(t.server, 'Sam Supervisor', { role: 'supervisor' })
})

afterAll(async () => {
  await t?.cleanup()
})

const RULES: RetentionSettings = {
  rules: [
    { inbox: null, channel: null, deleteAfterDays: 365 },
    { inbox: 'SMS', channel: 'sms', deleteAfterDays: 30 },
  ],
  customersWithoutConversationsDays: 90,
}

describe('retention over REST', () => {
  it('keeps nothing by default and takes an admin’s rules, recorded in the audit log', async () => {
    const empty = await api(t.server.url, 'GET', '/api/v1/retention', { token: admin.token })
    expect(empty.status).toBe(200)
    expect(empty.body).toEqual({ settings: { rules: [], customersWithoutConversationsDays: null }, runs: [] })

    const saved = await api(t.server.url, 'PUT', '/api/v1/retention', { token: admin.token, body: RULES })
    expect(saved.status).toBe(200)
    expect((await api(t.server.url, 'GET', '/api/v1/retention', { token: admin.token })).body.settings).toEqual(RULES)

    const audit = await api(t.server.url, 'GET', '/api/v1/audit?action=retention_policy.changed', { token: admin.token })
    expect(audit.status).toBe(200)
    expect(audit.body.items).toEqual([expect.objectContaining({ action: 'retention_policy.changed', actorName: 'Ada Admin', origin: expect.objectContaining({ via: 'rest' }) })])
  })

  it('refuses rules it cannot apply, with the reason, and keeps the saved ones', async () => {
    const twice = await api(t.server.url, 'PUT', '/api/v1/retention', {
      token: admin.token,
      body: { rules: [RULES.rules[1], RULES.rules[1]], customersWithoutConversationsDays: null },
    })
    expect(twice.status).toBe(400)
    expect(JSON.stringify(twice.body)).toContain('a second rule for inbox SMS and channel sms')
    const zero = await api(t.server.url, 'PUT', '/api/v1/retention', {
      token: admin.token,
      body: { rules: [{ inbox: null, channel: null, deleteAfterDays: 0 }], customersWithoutConversationsDays: null },
    })
    expect(zero.status).toBe(400)
    expect(JSON.stringify(zero.body)).toContain('at least 1 day')
    expect((await api(t.server.url, 'GET', '/api/v1/retention', { token: admin.token })).body.settings).toEqual(RULES)
  })

  it('previews a run without deleting, runs when asked, and logs both newest first', async () => {
    await t.server.ingest({
      channel: 'email',
      inbox: 'support@example.test',
      externalId: '<lamp-1@mail.example.test>',
      from: { kind: 'email', address: 'maya@example.test', name: 'Maya' },
      subject: 'Lamp',
      text: 'My lamp flickers.',
    })
    const preview = await api<RetentionRun>(t.server.url, 'POST', '/api/v1/retention/runs', { token: admin.token, body: {} })
    expect(preview.status).toBe(200)
    expect(preview.body).toMatchObject({ dryRun: true, conversations: 0, customers: 0, requestedBy: expect.any(String), error: null })
    const run = await api<RetentionRun>(t.server.url, 'POST', '/api/v1/retention/runs', { token: admin.token, body: { dryRun: false } })
    expect(run.body).toMatchObject({ dryRun: false, conversations: 0, customers: 0 })
    const log = (await api(t.server.url, 'GET', '/api/v1/retention', { token: admin.token })).body.runs as RetentionRun[]
    expect(log.slice(0, 2).map((r) => r.dryRun)).toEqual([false, true])
    // Recent history is kept: the customer is still there.
    const customers = await api(t.server.url, 'GET', '/api/v1/customers?query=maya', { token: admin.token })
    expect(customers.body.items).toHaveLength(1)
  })

  it('is for admins only: a supervisor may neither read nor change nor run it', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/v1/retention', undefined],
      ['PUT', '/api/v1/retention', RULES],
      ['POST', '/api/v1/retention/runs', { dryRun: true }],
    ] as const) {
      const res = await api(t.server.url, method, path, { token: supervisor.token, ...(body ? { body } : {}) })
      expect(res.status, `${method} ${path}`).toBe(403)
      expect(JSON.stringify(res.body)).toContain('retention is managed by admins only')
    }
  })
})
