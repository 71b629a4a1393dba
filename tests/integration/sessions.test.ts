import fs from 'node:fs'
import http from 'node:http'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SignInResponse, WRONG_CREDENTIALS } from '../../src/shared/sessions'
import { SIGN_IN_LIMITS } from '../../src/server/auth/sign-in-throttle'
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
  const agent = await userWithToken(t.server, name)
  await t.server.setPassword(agent.user.id, PASSWORD)
  return agent.user
}

const signIn = (body: unknown) => api(t.server.url, 'POST', '/api/v1/sessions', { body })

// Two loopback addresses stand for two people's machines; Linux routes all of 127/8 to the loopback interface.
const OWNER = '127.0.0.1'
const STRANGER = '127.0.0.2'

/** A sign-in sent from `localAddress`, optionally through a proxy that says it forwards for `forwardedFor`. */
async function signInFrom(
  from: { localAddress: string; forwardedFor?: string },
  email: string,
  password: string,
  server: TestServer = t,
): Promise<{ status: number; retryAfter: number; body: { error: { code: string; message: string } } }> {
  const url = new URL('/api/v1/sessions', server.server.url)
  const payload = JSON.stringify({ email, password })
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
  if (from.forwardedFor) headers['x-forwarded-for'] = from.forwardedFor
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers, localAddress: from.localAddress }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: Number(res.headers['retry-after']), body: JSON.parse(text) }))
    })
    req.on('error', reject)
    req.end(payload)
  })
}

const sleepSeconds = (seconds: number) => new Promise((r) => setTimeout(r, seconds * 1000))

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
    await userWithToken(t.server, 'Tok Only')
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

  it("slows a stranger's guesses at an email without stopping its owner signing in from another address", async () => {
    await agentWithPassword('Pat Login')
    for (let i = 0; i < SIGN_IN_LIMITS.freePerPair; i++) {
      expect((await signInFrom({ localAddress: STRANGER }, 'pat.login@agents.test', `guess ${i}`)).status).toBe(401)
    }
    const slowed = await signInFrom({ localAddress: STRANGER }, 'pat.login@agents.test', PASSWORD)
    expect(slowed.status).toBe(429)
    expect(slowed.retryAfter).toBe(1)
    expect(slowed.body.error).toEqual({
      code: 'rate_limited',
      message: 'too many failed sign-ins for this email from your address; try again in 1 second',
    })
    expect((await signInFrom({ localAddress: OWNER }, 'pat.login@agents.test', PASSWORD)).status).toBe(201)
  })

  it('makes each further attempt wait longer, lets it through once Retry-After has passed, and starts afresh after a success', async () => {
    await agentWithPassword('Pat Login')
    const attempt = (password: string) => signInFrom({ localAddress: STRANGER }, 'pat.login@agents.test', password)
    for (let i = 0; i < SIGN_IN_LIMITS.freePerPair; i++) expect((await attempt(`guess ${i}`)).status).toBe(401)
    const first = await attempt('too soon')
    expect(first).toMatchObject({ status: 429, retryAfter: 1 })
    await sleepSeconds(first.retryAfter)
    expect((await attempt('guess 3')).status).toBe(401)
    const second = await attempt('too soon')
    expect(second).toMatchObject({ status: 429, retryAfter: 2 })
    expect(second.body.error.message).toMatch(/try again in 2 seconds$/)
    await sleepSeconds(second.retryAfter)
    expect((await attempt(PASSWORD)).status).toBe(201)
    expect((await attempt('a typo')).status).toBe(401)
    expect((await attempt('another typo')).status).toBe(401)
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

describe('the client address behind a reverse proxy (trustProxy)', () => {
  /** A stranger guesses through the proxy, then the owner signs in through the same proxy. */
  async function ownerAfterStrangerThroughProxy(server: TestServer): Promise<number> {
    const agent = await userWithToken(server.server, 'Pat Login')
    await server.server.setPassword(agent.user.id, PASSWORD)
    const viaProxy = (client: string) => ({ localAddress: OWNER, forwardedFor: client })
    for (let i = 0; i < SIGN_IN_LIMITS.freePerPair; i++) {
      expect((await signInFrom(viaProxy('198.51.100.7'), 'pat.login@agents.test', `guess ${i}`, server)).status).toBe(401)
    }
    return (await signInFrom(viaProxy('203.0.113.5'), 'pat.login@agents.test', PASSWORD, server)).status
  }

  it('throttles the address X-Forwarded-For names when the proxy is trusted', async () => {
    const behindProxy = await startTestServer({ trustProxy: ['127.0.0.1'] })
    try {
      expect(await ownerAfterStrangerThroughProxy(behindProxy)).toBe(201)
      const stranger = await signInFrom({ localAddress: OWNER, forwardedFor: '198.51.100.7' }, 'pat.login@agents.test', PASSWORD, behindProxy)
      expect(stranger.status).toBe(429)
    } finally {
      await behindProxy.cleanup()
    }
  })

  it("ignores X-Forwarded-For by default: every request through the proxy is the proxy's", async () => {
    expect(await ownerAfterStrangerThroughProxy(t)).toBe(429)
  })
})
