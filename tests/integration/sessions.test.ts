import fs from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SignInResponse, WRONG_CREDENTIALS } from '../../src/shared/sessions'
import { SIGN_IN_LIMITS } from '../../src/server/http/routes/sessions'
import { api, connectClient, connectError, startTestServer, userWithToken, type TestServer } from './server-fixtures'

/** Signing in with a password and out again, against the real server over HTTP and socket.io. */

let t: TestServer
const PASSWORD = 'correct horse battery'

beforeEach(async () => {
  t = await startTestServer()
})
afterEach(async () => {
  await t.cleanup()
})

async function agentWithPassword(name: string) {
  const agent = userWithToken(t.server, name)
  await t.server.setPassword(agent.user.id, PASSWORD)
  return agent.user
}

const signIn = (body: unknown) => api(t.server.url, 'POST', '/api/v1/sessions', { body })

describe('POST /api/v1/sessions', () => {
  it('answers a new token for the right password, which the REST API and the sync socket accept', async () => {
    const user = await agentWithPassword('Pat Login')
    const res = await signIn({ email: '  PAT.LOGIN@agents.test ', password: PASSWORD, deviceName: 'laptop' })
    expect(res.status).toBe(201)
    const { token, user: signedIn } = SignInResponse.parse(res.body)
    expect(signedIn).toEqual(user)

    const me = await api(t.server.url, 'GET', '/api/v1/me', { token })
    expect(me).toMatchObject({ status: 200, body: { id: user.id } })
    expect(await connectError(t.server.url, { token })).toBeNull()
    // Neither the password nor the token is stored in clear.
    const file = fs.readFileSync(t.dbPath)
    expect(file.includes(Buffer.from(PASSWORD))).toBe(false)
    expect(file.includes(Buffer.from(token))).toBe(false)
  })

  it('gives one generic 401 for a wrong password, an unknown email and a user without a password', async () => {
    await agentWithPassword('Pat Login')
    userWithToken(t.server, 'Tok Only')
    const answers = await Promise.all([
      signIn({ email: 'pat.login@agents.test', password: 'wrong password' }),
      signIn({ email: 'nobody@agents.test', password: PASSWORD }),
      signIn({ email: 'tok.only@agents.test', password: PASSWORD }),
    ])
    for (const res of answers) {
      expect(res.status).toBe(401)
      expect(res.body).toEqual({ error: { code: 'unauthorized', message: WRONG_CREDENTIALS } })
    }
  })

  it('refuses a malformed request with a 400 naming the field', async () => {
    const res = await signIn({ email: 'pat.login@agents.test' })
    expect(res.status).toBe(400)
    expect(res.body.error.message).toMatch(/password/)
  })

  it('locks an email out after repeated failures, even for the right password, without touching other emails', async () => {
    await agentWithPassword('Pat Login')
    await agentWithPassword('Other Agent')
    for (let i = 0; i < SIGN_IN_LIMITS.failuresPerEmail; i++) {
      expect((await signIn({ email: 'pat.login@agents.test', password: `guess ${i}` })).status).toBe(401)
    }
    const locked = await fetch(`${t.server.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'pat.login@agents.test', password: PASSWORD }),
    })
    expect(locked.status).toBe(429)
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(((await locked.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'rate_limited',
      message: expect.stringMatching(/too many failed sign-in attempts/),
    })
    expect((await signIn({ email: 'other.agent@agents.test', password: PASSWORD })).status).toBe(201)
  })

  it('is described in the OpenAPI document', async () => {
    const doc = await api(t.server.url, 'GET', '/openapi.json')
    const paths = doc.body.paths as Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>
    expect(paths['/api/v1/sessions']?.post?.security).toEqual([])
    expect(Object.keys(paths['/api/v1/sessions']?.post?.responses ?? {})).toEqual(expect.arrayContaining(['201', '401', '429']))
    expect(paths['/api/v1/sessions/current']?.delete).toBeDefined()
  })
})

describe('DELETE /api/v1/sessions/current', () => {
  it('revokes the calling token: REST refuses it, its live socket is closed and cannot connect again', async () => {
    await agentWithPassword('Pat Login')
    const { token } = SignInResponse.parse((await signIn({ email: 'pat.login@agents.test', password: PASSWORD })).body)
    const other = SignInResponse.parse((await signIn({ email: 'pat.login@agents.test', password: PASSWORD })).body).token
    const { socket } = await connectClient(t.server.url, token)
    const closed = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)))

    expect((await api(t.server.url, 'DELETE', '/api/v1/sessions/current', { token })).status).toBe(204)

    expect(await closed).toBe('io server disconnect')
    const me = await api(t.server.url, 'GET', '/api/v1/me', { token })
    expect(me.status).toBe(401)
    expect(await connectError(t.server.url, { token })).toBe('unauthorized')
    expect((await api(t.server.url, 'DELETE', '/api/v1/sessions/current', { token })).status).toBe(401)
    // Signing out one device leaves the same user's other sessions alone.
    expect((await api(t.server.url, 'GET', '/api/v1/me', { token: other })).status).toBe(200)
    socket.close()
  })
})
