import { randomUUID } from 'node:crypto'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { InboundMessage } from '../../src/shared/ingest'
import {
  api,
  connectClient,
  connectError,
  integrationWithToken,
  startTestServer,
  userWithToken,
  waitFor,
  type TestServer,
} from './server-fixtures'

/** Inbound items come from integrations, never from users' tokens; every change says who made it. */

let t: TestServer

beforeEach(async () => {
  t = await startTestServer()
})
afterEach(async () => {
  await t.cleanup()
})

const PHONE = '+14155550123'

/** What the security issue reported: an "inbound" SMS dated 2017 that opts the customer in to promotions. */
const forgedOptIn = (externalId: string): InboundMessage => ({
  channel: 'sms',
  inbox: 'SMS',
  externalId,
  from: { kind: 'phone', address: PHONE },
  text: 'YES send me offers',
  sentAt: Date.UTC(2017, 0, 1),
  consent: { changes: { promotional: true } },
})

/** Who each change row of an entity was recorded as made by, read from the server's database. */
function actorsOf(entityId: string): string[] {
  const db = new Database(t.dbPath, { readonly: true })
  try {
    return db.prepare('SELECT actor FROM changes WHERE entity_id = ? ORDER BY seq').pluck().all(entityId) as string[]
  } finally {
    db.close()
  }
}

describe('POST /api/v1/inbound', () => {
  it("refuses agents' and supervisors' tokens with 403 and a clear reason, and changes nothing", async () => {
    const agent = await userWithToken(t.server, 'Alex')
    const supervisor = await userWithToken(t.server, 'Sam Boss', { role: 'supervisor' })
    for (const [role, token] of [
      ['agent', agent.token],
      ['supervisor', supervisor.token],
    ] as const) {
      const res = await api(t.server.url, 'POST', '/api/v1/inbound', { token, body: forgedOptIn(`SM-${role}`) })
      expect(res.status).toBe(403)
      expect(res.body.error).toEqual({
        code: 'forbidden',
        message: expect.stringMatching(new RegExp(`^a ${role}'s token cannot post inbound messages: .*integration:create`)),
      })
    }
    expect(await t.server.counts()).toMatchObject({ customers: 0, messages: 0 })
  })

  it("stores an integration's item and consent change as the integration's, in the change log and on the consent event", async () => {
    const { integration, token } = await integrationWithToken(t.server, ['SMS', 'Support email'], 'Zapier')
    const agent = await userWithToken(t.server, 'Alex')
    const res = await api(t.server.url, 'POST', '/api/v1/inbound', { token, body: forgedOptIn('SM-1') })
    expect(res.status).toBe(201)

    const customer = await api(t.server.url, 'GET', `/api/v1/customers/${res.body.customerId}`, { token: agent.token })
    expect(customer.body.customer.consent).toEqual({ promotional: true })
    const timeline = await api(t.server.url, 'GET', `/api/v1/customers/${res.body.customerId}/timeline`, { token: agent.token })
    const event = timeline.body.items.find((e: { kind: string; item: { type?: string } }) => e.item.type === 'consent_changed')?.item
    expect(event).toMatchObject({
      actorId: null,
      data: { changes: { promotional: true }, actor: `integration:${integration.id}`, actorName: 'Zapier' },
    })
    const integrationActor = `integration:${integration.id}`
    for (const id of [res.body.customerId, res.body.conversationId, res.body.itemId, event.id]) {
      expect(actorsOf(id)).toEqual(expect.arrayContaining([integrationActor]))
      expect(actorsOf(id).every((a) => a === integrationActor)).toBe(true)
    }
  })

  it("refuses an inbox outside the integration's, naming the ones it has", async () => {
    const { token } = await integrationWithToken(t.server, ['Support email'], 'Mailer')
    const res = await api(t.server.url, 'POST', '/api/v1/inbound', { token, body: forgedOptIn('SM-2') })
    expect(res.status).toBe(403)
    expect(res.body.error.message).toBe('integration "Mailer" may not post to inbox "SMS" (its inboxes: Support email)')
    expect((await t.server.counts()).messages).toBe(0)
  })

  it('refuses a revoked integration token with 401', async () => {
    const { integration, token } = await integrationWithToken(t.server, ['SMS'])
    expect(await t.server.revokeIntegration(integration.id)).toBe(true)
    const res = await api(t.server.url, 'POST', '/api/v1/inbound', { token, body: forgedOptIn('SM-3') })
    expect(res.status).toBe(401)
    expect(await t.server.revokeIntegration(integration.id)).toBe(false)
  })
})

describe('an integration token', () => {
  it('is refused on every route that is not an integration route, and by the sync socket', async () => {
    const { token } = await integrationWithToken(t.server, ['SMS'])
    const created = await api(t.server.url, 'POST', '/api/v1/inbound', { token, body: forgedOptIn('SM-4') })
    const { customerId, conversationId } = created.body
    const userRoutes: [string, string, unknown?][] = [
      ['GET', '/api/v1/me'],
      ['GET', '/api/v1/users'],
      ['GET', '/api/v1/customers'],
      ['GET', `/api/v1/customers/${customerId}`],
      ['GET', '/api/v1/conversations'],
      ['GET', `/api/v1/conversations/${conversationId}/messages`],
      ['POST', `/api/v1/conversations/${conversationId}/reply`, { text: 'hi' }],
      ['POST', `/api/v1/conversations/${conversationId}/notes`, { text: 'hi' }],
      ['PATCH', `/api/v1/conversations/${conversationId}`, { status: 'resolved' }],
      ['GET', '/api/v1/dead-letters'],
      ['GET', '/api/v1/tokens'],
      ['DELETE', '/api/v1/sessions/current'],
    ]
    for (const [method, route, body] of userRoutes) {
      const res = await api(t.server.url, method, route, { token, body })
      expect({ route, status: res.status }).toEqual({ route, status: 403 })
      expect(res.body.error.message).toMatch(/an integration token is not a user's: it may only call POST \/api\/v1\/inbound/)
    }
    expect(await connectError(t.server.url, { token })).toBe('unauthorized')
    // The integration routes it may call.
    expect((await api(t.server.url, 'GET', '/api/v1/outbound', { token })).status).toBe(200)
  })
})

describe('the change log', () => {
  it("records an agent's action as the agent's, whether pushed over the socket or sent over REST", async () => {
    const { token: integration } = await integrationWithToken(t.server, ['SMS'])
    const agent = await userWithToken(t.server, 'Alex')
    const { conversationId } = (await api(t.server.url, 'POST', '/api/v1/inbound', { token: integration, body: forgedOptIn('SM-5') })).body
    const note = await api(t.server.url, 'POST', `/api/v1/conversations/${conversationId}/notes`, { token: agent.token, body: { text: 'via REST' } })
    expect(note.status).toBe(201)
    expect(actorsOf(note.body.id)).toEqual([`user:${agent.user.id}`])

    const { socket } = await connectClient(t.server.url, agent.token)
    try {
      const ack = await socket.emitWithAck('push', {
        clientId: randomUUID(),
        mutations: [{ id: 1, name: 'setStatus', args: { conversationId, status: 'resolved' } }],
      })
      expect(ack).toMatchObject({ results: [{ outcome: 'applied' }] })
      await waitFor(() => actorsOf(conversationId).length >= 2, 'the status change')
      expect(actorsOf(conversationId).at(-1)).toBe(`user:${agent.user.id}`)
    } finally {
      socket.close()
    }
  })
})
