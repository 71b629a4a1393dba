import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashToken } from '../../src/server/auth/tokens'
import type { Role, User } from '../../src/shared/domain'
import type { ClientToServerEvents } from '../../src/shared/sync'
import { api, connectClient, connectError, integrationWithToken, startTestServer, userWithToken, type TestServer } from './server-fixtures'

/**
 * Who may call what: every REST route in the server's OpenAPI document and every sync socket
 * event, for every kind of caller. A route or event without a row fails the test, so a new one
 * cannot ship without deciding who may use it.
 */

const CALLERS = ['none', 'expired', 'revoked', 'agent', 'supervisor', 'admin', 'integration'] as const
type Caller = (typeof CALLERS)[number]

/**
 * - public: anyone (no token needed);
 * - agent / supervisor / admin: users of at least that role; integration tokens are refused;
 * - integration: integration tokens only (what customers sent arrives only through integrations);
 * - channel: integration tokens and users alike (outbound queue, delivery reports).
 */
type Access = 'public' | Role | 'integration' | 'channel'

interface Row {
  access: Access
  /** A body that gets past authorization (it may still be refused by validation, which is fine). */
  body?: unknown
  /** A query string; one validation refuses keeps a route that answers with a file answering in JSON. */
  query?: string
}

const ROUTES: Record<string, Row> = {
  'GET /health': { access: 'public' },
  'GET /ready': { access: 'public' },
  'POST /api/v1/sessions': { access: 'public', body: {} },
  'DELETE /api/v1/sessions/current': { access: 'agent' },
  'GET /api/v1/me': { access: 'agent' },
  'GET /api/v1/users': { access: 'agent' },
  'POST /api/v1/users': { access: 'admin', body: {} },
  'PATCH /api/v1/users/{id}': { access: 'admin', body: {} },
  'POST /api/v1/users/{id}/deactivate': { access: 'admin' },
  'POST /api/v1/users/{id}/reactivate': { access: 'admin' },
  'GET /api/v1/admin/directory': { access: 'admin' },
  'GET /api/v1/customers': { access: 'agent' },
  'GET /api/v1/customers/{id}': { access: 'agent' },
  'GET /api/v1/customers/{id}/timeline': { access: 'agent' },
  'POST /api/v1/customers/{id}/erase': { access: 'supervisor', body: {} },
  'POST /api/v1/customers/{id}/restore': { access: 'supervisor' },
  'GET /api/v1/erasures': { access: 'admin' },
  'GET /api/v1/erasure-policy': { access: 'agent' },
  'GET /api/v1/customers/{id}/export': { access: 'supervisor' },
  'GET /api/v1/conversations': { access: 'agent' },
  'GET /api/v1/conversations/{id}': { access: 'agent' },
  'PATCH /api/v1/conversations/{id}': { access: 'agent', body: {} },
  'GET /api/v1/conversations/{id}/messages': { access: 'agent' },
  'POST /api/v1/conversations/{id}/reply': { access: 'agent', body: {} },
  'POST /api/v1/conversations/{id}/notes': { access: 'agent', body: {} },
  'POST /api/v1/conversations/{id}/moves': { access: 'agent', body: {} },
  'POST /api/v1/moves/{id}/undo': { access: 'agent' },
  'GET /api/v1/customers/{id}/summaries': { access: 'agent' },
  'POST /api/v1/customers/{id}/summaries/regenerate': { access: 'agent' },
  'POST /api/v1/summaries/{id}/feedback': { access: 'agent', body: {} },
  'GET /api/v1/summaries/usage': { access: 'supervisor' },
  'GET /api/v1/dead-letters': { access: 'supervisor' },
  'GET /api/v1/tokens': { access: 'admin' },
  'DELETE /api/v1/tokens/{id}': { access: 'admin' },
  'GET /api/v1/integrations': { access: 'admin' },
  'POST /api/v1/integrations': { access: 'admin', body: {} },
  'DELETE /api/v1/integrations/{id}': { access: 'admin' },
  'GET /api/v1/retention': { access: 'admin' },
  'PUT /api/v1/retention': { access: 'admin', body: {} },
  'POST /api/v1/retention/runs': { access: 'admin', body: {} },
  'GET /api/v1/audit': { access: 'admin' },
  'GET /api/v1/audit/export': { access: 'admin', query: 'from=yesterday' },
  'GET /api/v1/reports': { access: 'supervisor', query: 'from=0&to=86400000' },
  'GET /api/v1/reports/live': { access: 'supervisor' },
  'GET /api/v1/reports/conversations': { access: 'supervisor', query: 'from=0&to=86400000&figure=created' },
  'POST /api/v1/inbound': { access: 'integration', body: {} },
  'GET /api/v1/outbound': { access: 'channel' },
  'POST /api/v1/messages/{id}/delivery': { access: 'channel', body: {} },
}

/** The sync socket serves signed-in users of every role; everyone else is refused at the handshake. */
const SOCKET_EVENTS = {
  pull: { after: 0, limit: 10 },
  push: {},
  whoami: {},
  typing: {},
  viewing: {},
  status: { away: false },
} satisfies Record<keyof ClientToServerEvents, unknown>

const ROLE_RANK: Record<Role, number> = { agent: 0, supervisor: 1, admin: 2 }

type Outcome = 401 | 403 | 'allowed'

function expected(access: Access, caller: Caller): Outcome {
  if (access === 'public') return 'allowed'
  if (caller === 'none' || caller === 'expired' || caller === 'revoked') return 401
  if (caller === 'integration') return access === 'integration' || access === 'channel' ? 'allowed' : 403
  if (access === 'channel') return 'allowed'
  if (access === 'integration') return 403
  return ROLE_RANK[caller] >= ROLE_RANK[access] ? 'allowed' : 403
}

let t: TestServer
const users = {} as Record<Role, User>
let integrationToken: string
let expiredToken: string
let revokedToken: string

beforeAll(async () => {
  t = await startTestServer()
  for (const role of ['agent', 'supervisor', 'admin'] as const) users[role] = (await userWithToken(t.server, `Matrix ${role}`, { role })).user
  integrationToken = (await integrationWithToken(t.server, ['SMS'])).token
  expiredToken = await t.server.createToken(users.agent.id)
  const db = new Database(t.dbPath)
  try {
    db.prepare('UPDATE api_tokens SET created_at = 0, last_used_at = 0 WHERE token_hash = ?').run(hashToken(expiredToken))
  } finally {
    db.close()
  }
  revokedToken = await t.server.createToken(users.agent.id)
  expect((await api(t.server.url, 'DELETE', '/api/v1/sessions/current', { token: revokedToken })).status).toBe(204)
})

afterAll(async () => {
  await t?.cleanup()
})

/** A token for the caller; users get a fresh one per request, since signing out revokes the token it is called with. */
async function tokenOf(caller: Caller): Promise<string | undefined> {
  switch (caller) {
    case 'none':
      return undefined
    case 'expired':
      return expiredToken
    case 'revoked':
      return revokedToken
    case 'integration':
      return integrationToken
    default:
      return t.server.createToken(users[caller].id)
  }
}

const outcomeOf = (status: number): Outcome | number =>
  status === 401 || status === 403 ? status : (status >= 200 && status < 300) || [400, 404, 409].includes(status) ? 'allowed' : status

describe('access matrix', () => {
  it('has a row for every route in the OpenAPI document, and no row for a route that is gone', async () => {
    const doc = (await api<{ paths: Record<string, Record<string, unknown>> }>(t.server.url, 'GET', '/openapi.json')).body
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    expect(documented.sort()).toEqual(Object.keys(ROUTES).sort())
  })

  it.each(Object.entries(ROUTES))('%s', async (route, row) => {
    const [method = '', path = ''] = route.split(' ')
    const url = path.replace(/\{id\}/g, 'no-such-id') + (row.query ? `?${row.query}` : '')
    const outcomes: Record<string, Outcome | number> = {}
    for (const caller of CALLERS) {
      const res = await api(t.server.url, method, url, { token: await tokenOf(caller), body: row.body })
      outcomes[caller] = outcomeOf(res.status)
    }
    expect(outcomes).toEqual(Object.fromEntries(CALLERS.map((c) => [c, expected(row.access, c)])))
  })

  it('lets every role use every sync event, and refuses everyone else at the handshake', async () => {
    const outcomes: Record<string, string> = {}
    for (const caller of CALLERS) {
      const token = await tokenOf(caller)
      const refused = await connectError(t.server.url, token === undefined ? {} : { token })
      if (refused !== null) {
        for (const event of Object.keys(SOCKET_EVENTS)) outcomes[`${event} ${caller}`] = refused
        continue
      }
      const { socket } = await connectClient(t.server.url, token ?? '')
      try {
        for (const [event, payload] of Object.entries(SOCKET_EVENTS)) {
          const ack = (await socket.timeout(5_000).emitWithAck(event as keyof ClientToServerEvents, payload as never)) as {
            error?: { code: string }
          }
          const code = ack?.error?.code
          outcomes[`${event} ${caller}`] = code === 'unauthorized' || code === 'forbidden' ? code : 'allowed'
        }
      } finally {
        socket.close()
      }
    }
    const expectedOutcomes = Object.fromEntries(
      Object.keys(SOCKET_EVENTS).flatMap((event) =>
        CALLERS.map((caller) => [`${event} ${caller}`, ['agent', 'supervisor', 'admin'].includes(caller) ? 'allowed' : 'unauthorized']),
      ),
    )
    expect(outcomes).toEqual(expectedOutcomes)
  })
})
