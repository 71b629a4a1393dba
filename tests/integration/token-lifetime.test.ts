import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { DAY_MS, hashToken } from '../../src/server/auth/tokens'
import type { ServerConfig } from '../../src/server/server'
import { api, connectClient, connectError, startTestServer, userWithToken, waitFor, type TestServer } from './server-fixtures'

/** Tokens expire, and a token revoked or whose user is removed loses its live sync connection. */

let t: TestServer | null = null

afterEach(async () => {
  await t?.cleanup()
  t = null
})

async function start(config: Partial<ServerConfig> = {}): Promise<TestServer> {
  t = await startTestServer(config)
  return t
}

/** Writes to the server's database from another connection, as another process (the CLI, an admin) would. */
function inDatabase<T>(server: TestServer, run: (db: Database.Database) => T): T {
  const db = new Database(server.dbPath)
  try {
    return run(db)
  } finally {
    db.close()
  }
}

const setTokenTimes = (server: TestServer, token: string, times: { createdAt: number; lastUsedAt: number | null }) =>
  inDatabase(server, (db) =>
    db.prepare('UPDATE api_tokens SET created_at = ?, last_used_at = ? WHERE token_hash = ?').run(times.createdAt, times.lastUsedAt, hashToken(token)),
  )

const lastUsedAt = (server: TestServer, token: string): number | null =>
  inDatabase(server, (db) => db.prepare('SELECT last_used_at FROM api_tokens WHERE token_hash = ?').pluck().get(hashToken(token)) as number | null)

async function expectRefused(server: TestServer, token: string): Promise<void> {
  const me = await api(server.server.url, 'GET', '/api/v1/me', { token })
  expect(me.status).toBe(401)
  expect(me.body.error).toEqual({ code: 'unauthorized', message: expect.stringMatching(/this API token has expired/) })
  expect(await connectError(server.server.url, { token })).toBe('unauthorized')
}

describe('token expiry', () => {
  it('refuses a token unused for longer than tokenIdleDays, over REST and on the socket', async () => {
    const s = await start({ tokenIdleDays: 30 })
    const { token } = await userWithToken(s.server, 'Idle Ida')
    const now = Date.now()
    setTokenTimes(s, token, { createdAt: now - 40 * DAY_MS, lastUsedAt: now - 29 * DAY_MS })
    expect((await api(s.server.url, 'GET', '/api/v1/me', { token })).status).toBe(200)
    setTokenTimes(s, token, { createdAt: now - 40 * DAY_MS, lastUsedAt: now - 31 * DAY_MS })
    await expectRefused(s, token)
  })

  it('refuses a token older than tokenMaxDays however recently it was used', async () => {
    const s = await start({ tokenMaxDays: 90 })
    const { token } = await userWithToken(s.server, 'Old Olga')
    const now = Date.now()
    setTokenTimes(s, token, { createdAt: now - 91 * DAY_MS, lastUsedAt: now - 60_000 })
    await expectRefused(s, token)
  })

  it('disconnects a live socket whose token reaches its absolute limit while connected', async () => {
    const s = await start({ tokenMaxDays: 1.5 / (24 * 60 * 60) })
    const { token } = await userWithToken(s.server, 'Brief Bo')
    const { socket } = await connectClient(s.server.url, token)
    const reason = await new Promise<string>((resolve) => socket.once('disconnect', resolve))
    expect(reason).toBe('io server disconnect')
    await expectRefused(s, token)
  })

  it('notes when a token was last used at most once a minute, so reads stay reads', async () => {
    const s = await start()
    const { token } = await userWithToken(s.server, 'Busy Ben')
    expect(lastUsedAt(s, token)).toBeNull()
    await api(s.server.url, 'GET', '/api/v1/me', { token })
    const first = lastUsedAt(s, token)
    expect(first).toEqual(expect.any(Number))
    for (let i = 0; i < 3; i++) await api(s.server.url, 'GET', '/api/v1/me', { token })
    expect(lastUsedAt(s, token)).toBe(first)

    const twoMinutesAgo = Date.now() - 120_000
    setTokenTimes(s, token, { createdAt: twoMinutesAgo, lastUsedAt: twoMinutesAgo })
    await api(s.server.url, 'GET', '/api/v1/me', { token })
    expect(lastUsedAt(s, token)).toBeGreaterThan(twoMinutesAgo + 60_000)
  })
})

describe('a live connection', () => {
  async function connectedAgent(s: TestServer) {
    const agent = await userWithToken(s.server, 'Live Lou')
    const client = await connectClient(s.server.url, agent.token)
    const disconnected = new Promise<string>((resolve) => client.socket.once('disconnect', resolve))
    return { ...agent, ...client, disconnected }
  }

  /** After the connection closed, new changes no longer reach it. */
  async function expectNoMoreChanges(s: TestServer, pokes: { changes: { id: string }[] }[]) {
    const result = await s.server.ingest({ channel: 'sms', inbox: 'SMS', externalId: `SM-after-${Date.now()}`, from: { kind: 'phone', address: '+14155550199' }, text: 'hi' })
    await new Promise((r) => setTimeout(r, 200))
    expect(pokes.some((p) => p.changes.some((c) => c.id === result.itemId))).toBe(false)
  }

  it('is closed when its token is removed from the database by another process', async () => {
    const s = await start()
    const lou = await connectedAgent(s)
    const before = await s.server.ingest({ channel: 'sms', inbox: 'SMS', externalId: 'SM-before', from: { kind: 'phone', address: '+14155550198' }, text: 'hi' })
    await waitFor(() => lou.pokes.some((p) => p.changes.some((c) => c.id === before.itemId)), 'a change before the revocation')

    inDatabase(s, (db) => db.prepare('DELETE FROM api_tokens WHERE token_hash = ?').run(hashToken(lou.token)))
    expect(await lou.disconnected).toBe('io server disconnect')
    await expectNoMoreChanges(s, lou.pokes)
    expect(await connectError(s.server.url, { token: lou.token })).toBe('unauthorized')
    lou.socket.close()
  })

  it('is closed when its user is removed', async () => {
    const s = await start()
    const lou = await connectedAgent(s)
    inDatabase(s, (db) => db.prepare('DELETE FROM users WHERE id = ?').run(lou.user.id))
    expect(await lou.disconnected).toBe('io server disconnect')
    await expectNoMoreChanges(s, lou.pokes)
    expect((await api(s.server.url, 'GET', '/api/v1/me', { token: lou.token })).status).toBe(401)
    lou.socket.close()
  })

  it('is closed at once when an admin revokes its token over REST', async () => {
    const s = await start()
    const lou = await connectedAgent(s)
    const boss = await userWithToken(s.server, 'Ada Admin', { role: 'admin' })
    const other = await userWithToken(s.server, 'Sue Pervisor', { role: 'supervisor' })

    const listed = await api(s.server.url, 'GET', `/api/v1/tokens?email=${encodeURIComponent(lou.user.email)}`, { token: boss.token })
    expect(listed.status).toBe(200)
    expect(listed.body.items).toEqual([
      {
        id: expect.any(String),
        userId: lou.user.id,
        userEmail: lou.user.email,
        label: null,
        createdAt: expect.any(Number),
        lastUsedAt: expect.any(Number),
        expiresAt: expect.any(Number),
      },
    ])
    expect(JSON.stringify(listed.body)).not.toContain(lou.token)
    expect(JSON.stringify(listed.body)).not.toContain(hashToken(lou.token))
    const [{ id }] = listed.body.items
    expect((await api(s.server.url, 'GET', '/api/v1/tokens', { token: other.token })).status).toBe(403)
    expect((await api(s.server.url, 'DELETE', `/api/v1/tokens/${id}`, { token: other.token })).status).toBe(403)

    const revokedAt = Date.now()
    expect((await api(s.server.url, 'DELETE', `/api/v1/tokens/${id}`, { token: boss.token })).status).toBe(204)
    expect(await lou.disconnected).toBe('io server disconnect')
    // At once: not left to the next sweep.
    expect(Date.now() - revokedAt).toBeLessThan(500)
    expect((await api(s.server.url, 'GET', '/api/v1/me', { token: lou.token })).status).toBe(401)
    expect((await api(s.server.url, 'DELETE', `/api/v1/tokens/${id}`, { token: boss.token })).status).toBe(404)
    expect((await api(s.server.url, 'GET', '/api/v1/me', { token: other.token })).status).toBe(200)
    lou.socket.close()
  })
})
