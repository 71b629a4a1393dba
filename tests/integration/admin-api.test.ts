import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, connectClient, startTestServer, userWithToken, type TestServer } from './server-fixtures'

/** Admins manage users, inbox access and integrations over REST; every change names the admin. */

let t: TestServer
let admin: { id: string; token: string }

const call = (method: string, route: string, body?: unknown, token = admin.token) => api(t.server.url, method, route, { token, body })

/** Who made the newest change to the user, as the change log records it. */
function lastActorOf(userId: string): string {
  const db = new Database(t.dbPath, { readonly: true })
  try {
    return db.prepare("SELECT actor FROM changes WHERE entity = 'user' AND entity_id = ? ORDER BY seq DESC LIMIT 1").pluck().get(userId) as string
  } finally {
    db.close()
  }
}

beforeAll(async () => {
  t = await startTestServer({
    inboxes: [
      { name: 'SMS', channel: 'sms', connector: { type: 'sandbox' } },
      { name: 'Support email', channel: 'email', connector: { type: 'sandbox' } },
    ],
  })
  const made = await userWithToken(t.server, 'Ada Admin', { role: 'admin' })
  admin = { id: made.user.id, token: made.token }
})

afterAll(async () => {
  await t?.cleanup()
})

describe('administration over REST', () => {
  it('creates a user and changes their inbox access; their connections drop so their caches refill', async () => {
    const created = await call('POST', '/api/v1/users', { name: 'Rita Agent', email: 'Rita@Example.test', role: 'agent', team: 'Billing', inboxes: ['SMS'] })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ email: 'rita@example.test', role: 'agent', team: 'Billing', inboxes: ['SMS'], deactivatedAt: null })
    expect(lastActorOf(created.body.id)).toBe(`user:${admin.id}`)
    expect((await call('POST', '/api/v1/users', { name: 'Rita Two', email: 'rita@example.test', role: 'agent' })).body.error.message).toBe(
      'a user with email rita@example.test already exists',
    )

    const token = await t.server.createToken(created.body.id)
    const { socket } = await connectClient(t.server.url, token)
    const dropped = new Promise<string>((resolve) => socket.once('disconnect', resolve))
    const changed = await call('PATCH', `/api/v1/users/${created.body.id}`, { inboxes: ['SMS', 'Support email'], role: 'supervisor' })
    expect(changed.body).toMatchObject({ role: 'supervisor', inboxes: ['SMS', 'Support email'], team: 'Billing' })
    expect(await dropped).toBe('io server disconnect')
    socket.close()

    const directory = await call('GET', '/api/v1/admin/directory')
    expect(directory.body).toEqual({ teams: ['Billing'], inboxes: [{ name: 'SMS', channel: 'sms' }, { name: 'Support email', channel: 'email' }] })
  })

  it('deactivates a user: tokens revoked, connections closed, sign-in refused, and no new token until reactivated', async () => {
    const dee = await userWithToken(t.server, 'Dee Activated')
    await t.server.setPassword(dee.user.id, 'correct-horse-9')
    const { socket } = await connectClient(t.server.url, dee.token)
    const dropped = new Promise<string>((resolve) => socket.once('disconnect', resolve))
    const res = await call('POST', `/api/v1/users/${dee.user.id}/deactivate`)
    expect(res.status).toBe(200)
    expect(res.body.deactivatedAt).toEqual(expect.any(Number))
    expect(await dropped).toBe('io server disconnect')
    socket.close()
    expect((await call('GET', '/api/v1/me', undefined, dee.token)).status).toBe(401)
    expect((await call('GET', `/api/v1/tokens?email=${encodeURIComponent(dee.user.email)}`)).body.items).toEqual([])
    const signIn = await api(t.server.url, 'POST', '/api/v1/sessions', { body: { email: dee.user.email, password: 'correct-horse-9' } })
    expect(signIn).toMatchObject({ status: 403, body: { error: { message: 'this account has been deactivated: ask an administrator to reactivate it' } } })
    await expect(t.server.createToken(dee.user.id)).rejects.toThrow(/is deactivated: reactivate them before giving them a token/)
    expect(lastActorOf(dee.user.id)).toBe(`user:${admin.id}`)

    expect((await call('POST', `/api/v1/users/${dee.user.id}/reactivate`)).body.deactivatedAt).toBeNull()
    expect((await api(t.server.url, 'POST', '/api/v1/sessions', { body: { email: dee.user.email, password: 'correct-horse-9' } })).status).toBe(201)
  })

  it('refuses to demote or deactivate the last active admin, saying why', async () => {
    const demote = await call('PATCH', `/api/v1/users/${admin.id}`, { role: 'supervisor' })
    expect(demote).toMatchObject({ status: 409, body: { error: { code: 'conflict', message: 'Ada Admin is the last active admin: make another user an admin before demoting or deactivating them' } } })
    expect((await call('POST', `/api/v1/users/${admin.id}/deactivate`)).status).toBe(409)

    const second = await userWithToken(t.server, 'Bo Admin', { role: 'admin' })
    expect((await call('PATCH', `/api/v1/users/${admin.id}`, { role: 'supervisor' }, second.token)).status).toBe(200)
    expect((await call('PATCH', `/api/v1/users/${admin.id}`, { role: 'admin' }, second.token)).status).toBe(200)
  })

  it('creates an integration whose token is shown once, lists it without the token, and revokes it', async () => {
    const created = await call('POST', '/api/v1/integrations', { name: 'Zapier', inboxes: ['SMS'] })
    expect(created.status).toBe(201)
    expect(created.body.token).toMatch(/^tli_/)
    const listed = await call('GET', '/api/v1/integrations')
    expect(listed.body.items).toEqual([expect.objectContaining({ id: created.body.integration.id, name: 'Zapier', revokedAt: null })])
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token)
    expect((await call('DELETE', `/api/v1/integrations/${created.body.integration.id}`)).status).toBe(204)
    expect((await call('DELETE', `/api/v1/integrations/${created.body.integration.id}`)).status).toBe(404)
    const inbound = { channel: 'sms', inbox: 'SMS', externalId: 'SM-admin', from: { kind: 'phone', address: '+14155550123' }, text: 'hi' }
    expect((await api(t.server.url, 'POST', '/api/v1/inbound', { token: created.body.token, body: inbound })).status).toBe(401)
  })
})
