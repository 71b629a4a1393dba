import { randomUUID } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { User } from '../../src/shared/domain'
import type { InboundMessage } from '../../src/shared/ingest'
import type { Change, PullResponse } from '../../src/shared/sync'
import { api, connectClient, connectError, startTestServer, userWithToken, waitFor, type SyncClient, type TestServer } from './server-fixtures'

let t: TestServer
let alex: { user: User; token: string }
const sockets: SyncClient[] = []

beforeEach(async () => {
  t = await startTestServer()
  alex = await userWithToken(t.server, 'Alex')
})
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close()
  await t.cleanup()
})

async function client(token: string) {
  const c = await connectClient(t.server.url, token)
  sockets.push(c.socket)
  return c
}

const sms = (n: number, inbox = 'support'): InboundMessage => ({
  channel: 'sms',
  inbox,
  externalId: `SM-${inbox}-${n}`,
  from: { kind: 'phone', address: `+1415555${String(1000 + n).padStart(4, '0')}` },
  text: `message ${n}`,
})

/** Pulls everything after `after` in pages of `limit`, as a client core would. */
async function pullAll(socket: SyncClient, limit: number, after = 0): Promise<{ changes: Change[]; cursor: number; pages: number }> {
  const changes: Change[] = []
  let cursor = after
  let pages = 0
  for (;;) {
    const res = (await socket.emitWithAck('pull', { after: cursor, limit })) as PullResponse
    pages++
    changes.push(...res.changes)
    expect(res.cursor).toBeGreaterThanOrEqual(cursor)
    cursor = res.cursor
    if (!res.hasMore) return { changes, cursor, pages }
  }
}

describe('REST API', () => {
  it('serves an OpenAPI document listing the routes, generated from the schemas', async () => {
    const res = await api(t.server.url, 'GET', '/openapi.json')
    expect(res.status).toBe(200)
    expect(res.body.openapi).toMatch(/^3\./)
    const paths = Object.keys(res.body.paths)
    for (const p of [
      '/health',
      '/api/v1/customers',
      '/api/v1/customers/{id}',
      '/api/v1/customers/{id}/timeline',
      '/api/v1/conversations',
      '/api/v1/conversations/{id}',
      '/api/v1/conversations/{id}/messages',
      '/api/v1/conversations/{id}/reply',
      '/api/v1/conversations/{id}/notes',
      '/api/v1/conversations/{id}/moves',
      '/api/v1/moves/{id}/undo',
      '/api/v1/inbound',
      '/api/v1/messages/{id}/delivery',
    ]) {
      expect(paths).toContain(p)
    }
    expect(Object.keys(res.body.paths['/api/v1/conversations/{id}'])).toEqual(expect.arrayContaining(['get', 'patch']))
    const inbound = res.body.paths['/api/v1/inbound'].post
    expect(JSON.stringify(inbound.requestBody)).toContain('externalId')
    expect(res.body.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' })
  })

  it('answers /health without a token and everything under /api/v1 only with one', async () => {
    expect((await api(t.server.url, 'GET', '/health')).body).toMatchObject({ status: 'ok' })
    const none = await api(t.server.url, 'GET', '/api/v1/customers')
    expect(none.status).toBe(401)
    expect(none.body).toEqual({ error: { code: 'unauthorized', message: expect.stringMatching(/Authorization: Bearer/) } })
    expect((await api(t.server.url, 'GET', '/api/v1/customers', { token: 'tl_not-a-token' })).status).toBe(401)
    expect((await api(t.server.url, 'GET', '/api/v1/me', { token: alex.token })).body).toMatchObject({ id: alex.user.id })
  })

  it('lists, searches and pages customers and conversations', async () => {
    for (let n = 0; n < 7; n++) await t.server.ingest(sms(n))
    await t.server.ingest({ channel: 'email', externalId: '<z@m>', from: { kind: 'email', address: 'zoe@example.com', name: 'Zoë Quinn' }, text: 'hi' })
    const search = await api(t.server.url, 'GET', '/api/v1/customers?q=quinn', { token: alex.token })
    expect(search.body.items.map((c: { name: string }) => c.name)).toEqual(['Zoë Quinn'])
    const byAddress = await api(t.server.url, 'GET', '/api/v1/customers?q=%2B14155551003', { token: alex.token })
    expect(byAddress.body.items).toHaveLength(1)

    const seen = new Set<string>()
    let after: string | null = null
    do {
      const query: string = after ? `&after=${after}` : ''
      const page = await api(t.server.url, 'GET', `/api/v1/conversations?channel=sms&limit=3${query}`, { token: alex.token })
      expect(page.status).toBe(200)
      for (const c of page.body.items) seen.add(c.id)
      after = page.body.next
    } while (after)
    expect(seen.size).toBe(7)
    const badCursor = await api(t.server.url, 'GET', '/api/v1/conversations?after=garbage', { token: alex.token })
    expect(badCursor.status).toBe(400)
  })

  it('applies agent writes through the same mutations as the socket, with events in the timeline', async () => {
    const robin = await userWithToken(t.server, 'Robin')
    const r = await t.server.ingest(sms(1))
    const patched = await api(t.server.url, 'PATCH', `/api/v1/conversations/${r.conversationId}`, {
      token: alex.token,
      body: { status: 'pending', assigneeId: robin.user.id },
    })
    expect(patched.status).toBe(200)
    expect(patched.body).toMatchObject({ status: 'pending', assigneeId: robin.user.id })
    const note = await api(t.server.url, 'POST', `/api/v1/conversations/${r.conversationId}/notes`, { token: alex.token, body: { text: 'VIP' } })
    expect(note.status).toBe(201)
    expect(note.body).toMatchObject({ authorId: alex.user.id, text: 'VIP' })
    const timeline = await api(t.server.url, 'GET', `/api/v1/customers/${r.customerId}/timeline`, { token: alex.token })
    expect(timeline.body.items.map((i: { kind: string; item: { type?: string } }) => i.item.type ?? i.kind).sort()).toEqual(
      ['assigned', 'message', 'note', 'status_changed'],
    )
  })

  it('sets a priority, splits a message into a new conversation and undoes it', async () => {
    const first = await t.server.ingest({ ...sms(40), text: 'my order is late' })
    const second = await t.server.ingest({ ...sms(40), externalId: 'SM-split-2', text: 'and my address changed' })
    expect(second.conversationId).toBe(first.conversationId)
    const route = `/api/v1/conversations/${first.conversationId}`
    const urgent = await api(t.server.url, 'PATCH', route, { token: alex.token, body: { priority: 'urgent' } })
    expect(urgent).toMatchObject({ status: 200, body: { priority: 'urgent' } })
    const badPriority = await api(t.server.url, 'PATCH', route, { token: alex.token, body: { priority: 'asap' } })
    expect(badPriority.status).toBe(400)
    const split = await api(t.server.url, 'POST', `${route}/moves`, { token: alex.token, body: { split: true, messageIds: [second.itemId] } })
    expect(split.status).toBe(201)
    expect(split.body.to).toMatchObject({ previousConversationId: first.conversationId, priority: 'urgent', status: 'open' })
    const movedTo = await api(t.server.url, 'GET', `/api/v1/conversations/${split.body.to.id}/messages`, { token: alex.token })
    expect(movedTo.body.items.map((m: { id: string }) => m.id)).toEqual([second.itemId])
    const nowhere = await api(t.server.url, 'POST', `${route}/moves`, { token: alex.token, body: { messageIds: [first.itemId] } })
    expect(nowhere).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('toConversationId') } } })
    const undo = await api(t.server.url, 'POST', `/api/v1/moves/${split.body.moveId}/undo`, { token: alex.token })
    expect(undo.status).toBe(204)
    const back = await api(t.server.url, 'GET', `${route}/messages`, { token: alex.token })
    expect(back.body.items.map((m: { id: string }) => m.id).sort()).toEqual([first.itemId, second.itemId].sort())
  })

  it('answers malformed, unknown and forbidden writes with 400/404/403 and changes nothing', async () => {
    const r = await t.server.ingest(sms(1, 'support'))
    const sam = await userWithToken(t.server, 'Sam', { inboxes: ['sales'] })
    const seq = (await t.server.counts()).lastSeq
    const route = `/api/v1/conversations/${r.conversationId}`

    const badStatus = await api(t.server.url, 'PATCH', route, { token: alex.token, body: { status: 'closed' } })
    expect(badStatus.status).toBe(400)
    expect(badStatus.body.error.issues[0]).toMatchObject({ path: 'body.status' })
    expect(badStatus.body.error.message).toMatch(/status/)
    const empty = await api(t.server.url, 'PATCH', route, { token: alex.token, body: {} })
    expect(empty.status).toBe(400)
    expect(empty.body.error.message).toMatch(/set at least one of status, assigneeId, team/)
    const snoozeWithoutTime = await api(t.server.url, 'PATCH', route, { token: alex.token, body: { status: 'snoozed' } })
    expect(snoozeWithoutTime.status).toBe(400)
    expect(snoozeWithoutTime.body.error.message).toMatch(/snoozing needs a snoozedUntil time/)
    // Status and assignee go together: an unknown assignee leaves the status unchanged too.
    const unknownAssignee = await api(t.server.url, 'PATCH', route, { token: alex.token, body: { status: 'resolved', assigneeId: 'nobody' } })
    expect(unknownAssignee.status).toBe(400)
    expect(unknownAssignee.body.error.message).toMatch(/unknown user nobody/)
    const emptyReply = await api(t.server.url, 'POST', `${route}/reply`, { token: alex.token, body: { text: '   ' } })
    expect(emptyReply.status).toBe(400)
    expect(emptyReply.body.error.message).toMatch(/a reply needs text/)

    expect((await api(t.server.url, 'GET', '/api/v1/conversations/nope', { token: alex.token })).status).toBe(404)
    expect((await api(t.server.url, 'POST', '/api/v1/conversations/nope/notes', { token: alex.token, body: { text: 'x' } })).status).toBe(404)
    expect((await api(t.server.url, 'GET', '/api/v1/customers/nope', { token: alex.token })).status).toBe(404)
    const forbidden = await api(t.server.url, 'POST', `${route}/reply`, { token: sam.token, body: { text: 'hi' } })
    expect(forbidden.status).toBe(403)
    expect(forbidden.body.error.message).toMatch(/inbox "support"/)
    expect((await api(t.server.url, 'GET', '/api/v1/nothing-here', { token: alex.token })).body.error.code).toBe('not_found')

    expect((await t.server.counts()).lastSeq).toBe(seq)
    expect((await api(t.server.url, 'GET', route, { token: alex.token })).body.status).toBe('open')
  })
})

describe('socket sync', () => {
  it('refuses a handshake without a valid token with "unauthorized"', async () => {
    expect(await connectError(t.server.url, {})).toBe('unauthorized')
    expect(await connectError(t.server.url, { token: 'tl_wrong' })).toBe('unauthorized')
    expect(await connectError(t.server.url, { token: alex.token })).toBeNull()
  })

  it('answers malformed payloads with bad_request, changes nothing, and keeps the socket usable', async () => {
    const r = await t.server.ingest(sms(1))
    const { socket } = await client(alex.token)
    const seq = (await t.server.counts()).lastSeq

    const badPull = await socket.emitWithAck('pull', { after: 'yesterday' } as never)
    expect(badPull).toEqual({ error: { code: 'bad_request', message: expect.stringMatching(/invalid pull request: after/) } })
    const noPayload = await (socket as unknown as { emitWithAck(ev: string): Promise<unknown> }).emitWithAck('pull')
    expect(noPayload).toMatchObject({ error: { code: 'bad_request' } })
    const badPush = await socket.emitWithAck('push', {
      clientId: 'not-a-uuid',
      mutations: [{ id: 1, name: 'reply', args: { messageId: 'm', conversationId: r.conversationId, text: 'hi' } }],
    })
    expect(badPush).toMatchObject({ error: { code: 'bad_request', message: expect.stringMatching(/clientId/) } })
    const unknownMutation = await socket.emitWithAck('push', {
      clientId: randomUUID(),
      mutations: [{ id: 1, name: 'delete_everything', args: {} } as never],
    })
    expect(unknownMutation).toMatchObject({ error: { code: 'bad_request' } })
    expect((await t.server.counts()).lastSeq).toBe(seq)

    expect(socket.connected).toBe(true)
    const pull = (await socket.emitWithAck('pull', { after: 0 })) as PullResponse
    expect(pull.cursor).toBe(seq)
    expect(pull.changes.some((c) => c.id === r.itemId)).toBe(true)
    expect(await socket.emitWithAck('whoami', {})).toEqual({ user: alex.user, inboxes: [] })
  })

  it('pages a pull with cursor and hasMore: every change once, in seq order', async () => {
    for (let n = 0; n < 12; n++) await t.server.ingest(sms(n))
    // A supervisor who sees every inbox receives every change, reporting events included.
    const lead = await userWithToken(t.server, 'Lee', { role: 'supervisor' })
    const { socket } = await client(lead.token)
    const { changes, cursor, pages } = await pullAll(socket, 5)
    const lastSeq = (await t.server.counts()).lastSeq
    expect(cursor).toBe(lastSeq)
    expect(changes.map((c) => c.seq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1))
    expect(pages).toBe(Math.ceil(lastSeq / 5) + (lastSeq % 5 === 0 ? 1 : 0))
    const rest = (await socket.emitWithAck('pull', { after: cursor, limit: 5 })) as PullResponse
    expect(rest).toEqual({ changes: [], cursor, hasMore: false })
  })

  it("sends each user only the changes of the inboxes they may see, and moves their cursor past the rest", async () => {
    const sam = await userWithToken(t.server, 'Sam', { inboxes: ['sales'] })
    const support = await t.server.ingest(sms(1, 'support'))
    const sales = await t.server.ingest(sms(2, 'sales'))
    const { socket, pokes } = await client(sam.token)
    const everything = await client(alex.token)

    const { changes, cursor } = await pullAll(socket, 3)
    expect(cursor).toBe((await t.server.counts()).lastSeq)
    const ids = new Set(changes.map((c) => c.id))
    expect(ids.has(sales.conversationId) && ids.has(sales.itemId)).toBe(true)
    expect(ids.has(support.conversationId) || ids.has(support.itemId)).toBe(false)
    // A customer is seen through their conversations; users are shared by everyone.
    expect(ids.has(sales.customerId)).toBe(true)
    expect(ids.has(support.customerId)).toBe(false)
    expect(ids.has(alex.user.id)).toBe(true)

    const hidden = await t.server.ingest(sms(3, 'support'))
    const poke = await waitFor(async () => {
      const { lastSeq } = await t.server.counts()
      return pokes.find((p) => p.cursor === lastSeq)
    }, 'a poke for the support message')
    expect(poke.after).toBe(cursor)
    expect(poke.changes.map((c) => c.id)).not.toContain(hidden.itemId)
    expect(poke.changes.map((c) => c.id)).not.toContain(hidden.conversationId)
    // The same commit reaches a user who sees every inbox, in full.
    const full = await waitFor(() => everything.pokes.find((p) => p.cursor === poke.cursor), 'the same poke for a user who sees all inboxes')
    expect(full.changes.map((c) => c.id)).toEqual(expect.arrayContaining([hidden.itemId, hidden.conversationId]))

    const push = await socket.emitWithAck('push', {
      clientId: randomUUID(),
      mutations: [{ id: 1, name: 'note', args: { noteId: 'n-1', conversationId: support.conversationId, text: 'sneaky' } }],
    })
    expect(push).toEqual({ results: [{ id: 1, outcome: 'rejected', error: expect.stringMatching(/inbox "support", which you cannot access/) }] })
  })

  it('applies a mutation pushed twice with the same (clientId, id) once', async () => {
    const r = await t.server.ingest(sms(1))
    const { socket } = await client(alex.token)
    const clientId = randomUUID()
    const push = {
      clientId,
      mutations: [
        { id: 1, name: 'reply' as const, args: { messageId: 'm-1', conversationId: r.conversationId, text: 'Hello!' } },
        { id: 2, name: 'label' as const, args: { conversationId: r.conversationId, add: ['billing'] } },
        { id: 3, name: 'note' as const, args: { noteId: 'n-1', conversationId: 'no-such-conversation', text: 'x' } },
      ],
    }
    expect(await socket.emitWithAck('push', push)).toEqual({
      results: [
        { id: 1, outcome: 'applied' },
        { id: 2, outcome: 'applied' },
        { id: 3, outcome: 'rejected', error: 'unknown conversation no-such-conversation' },
      ],
    })
    const counts = await t.server.counts()
    // The acknowledgement was "lost": the client sends the same batch again.
    expect(await socket.emitWithAck('push', push)).toEqual({
      results: [
        { id: 1, outcome: 'duplicate' },
        { id: 2, outcome: 'duplicate' },
        { id: 3, outcome: 'duplicate' },
      ],
    })
    expect(await t.server.counts()).toEqual({ ...counts, lastSeq: (await t.server.counts()).lastSeq })
    expect((await t.server.counts()).messages).toBe(2)
    const messages = await api(t.server.url, 'GET', `/api/v1/conversations/${r.conversationId}/messages`, { token: alex.token })
    expect(messages.body.items.filter((m: { id: string }) => m.id === 'm-1')).toHaveLength(1)
    const conversation = await api(t.server.url, 'GET', `/api/v1/conversations/${r.conversationId}`, { token: alex.token })
    expect(conversation.body.labels).toEqual(['billing'])

    // Another client's id 1 is its own.
    const other = await socket.emitWithAck('push', {
      clientId: randomUUID(),
      mutations: [{ id: 1, name: 'note', args: { noteId: 'n-2', conversationId: r.conversationId, text: 'mine' } }],
    })
    expect(other).toEqual({ results: [{ id: 1, outcome: 'applied' }] })
  })

  it('restarts on the same database and port, and a client resumes from its cursor', async () => {
    await t.server.ingest(sms(1))
    const { socket } = await client(alex.token)
    const first = await pullAll(socket, 100)
    socket.close()
    const port = t.server.port
    await t.server.close()

    const { startServer } = await import('../../src/server/server')
    const restarted = await startServer({ dbPath: t.dbPath, port, logLevel: 'silent' })
    t.server = restarted
    expect(restarted.port).toBe(port)
    await restarted.ingest(sms(2))
    expect((await restarted.ingest(sms(1))).duplicate).toBe(true)
    const again = await client(alex.token)
    const next = await pullAll(again.socket, 100, first.cursor)
    expect(next.changes.length).toBeGreaterThan(0)
    expect(next.changes.every((c) => c.seq > first.cursor)).toBe(true)
    expect(next.cursor).toBe((await restarted.counts()).lastSeq)
  })
})
