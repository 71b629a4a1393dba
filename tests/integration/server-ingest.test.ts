import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Message } from '../../src/shared/domain'
import type { InboundMessage } from '../../src/shared/ingest'
import { api, connectClient, integrationWithToken, startTestServer, userWithToken, waitFor, type TestServer } from './server-fixtures'

let t: TestServer
let token: string
/** What posts inbound items: an integration, as in production (an agent's token may not). */
let integration: string

beforeEach(async () => {
  t = await startTestServer()
  token = (await userWithToken(t.server, 'Alex')).token
  integration = (await integrationWithToken(t.server, ['support', 'default'])).token
})
afterEach(async () => {
  await t.cleanup()
})

const email = (externalId: string, extra: Partial<InboundMessage> = {}): InboundMessage => ({
  channel: 'email',
  inbox: 'support',
  externalId,
  from: { kind: 'email', address: 'Jane@Example.com', name: 'Jane Roe' },
  subject: 'Broken kettle',
  text: 'My kettle stopped working.',
  ...extra,
})

describe('ingest', () => {
  it('takes a burst of webhooks arriving together: each good one stored once, a bad one refused alone', async () => {
    const { socket, pokes } = await connectClient(t.server.url, token)
    const burst = Array.from({ length: 12 }, (_, i) =>
      email(`<burst-${i}@mail>`, { from: { kind: 'email', address: `sender${i}@example.com`, name: `Sender ${i}` } }),
    )
    const results = await Promise.allSettled([
      ...burst.map((item) => t.server.ingest(item)),
      t.server.ingest(email('<burst-0@mail>', { text: 'the provider retried at once' })),
      t.server.ingest({ channel: 'sms', inbox: 'sms', externalId: 'SM-bad', from: { kind: 'phone', address: 'call me maybe' }, text: 'hi' }),
    ])
    const stored = results.slice(0, 12).map((r) => (r.status === 'fulfilled' ? r.value : null))
    expect(stored.every((r) => r !== null && !r.duplicate)).toBe(true)
    expect(results[12]).toEqual({ status: 'fulfilled', value: { ...stored[0], duplicate: true } })
    expect(results[13]).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/call me maybe/) } })
    expect(await t.server.counts()).toMatchObject({ customers: 12, conversations: 12, messages: 12 })

    const ids = new Set(stored.map((r) => r!.itemId))
    await waitFor(() => {
      const seen = new Set(pokes.flatMap((p) => p.changes.map((c) => c.id)))
      return [...ids].every((id) => seen.has(id))
    }, 'every stored message to reach the connected client')
    socket.close()
  })

  it('stores the same inbound message once, however often it is delivered (direct and REST)', async () => {
    const first = await t.server.ingest(email('<kettle-1@mail>'))
    const before = await t.server.counts()
    expect(before).toMatchObject({ customers: 1, conversations: 1, messages: 1 })

    const again = await t.server.ingest(email('<kettle-1@mail>', { text: 'a retried webhook' }))
    expect(again).toEqual({ ...first, duplicate: true })

    const viaRest = await api(t.server.url, 'POST', '/api/v1/inbound', { token: integration, body: email('<kettle-1@mail>') })
    expect(viaRest.status).toBe(200)
    expect(viaRest.body).toEqual({ ...first, duplicate: true })
    expect(await t.server.counts()).toEqual(before)

    const messages = await api(t.server.url, 'GET', `/api/v1/conversations/${first.conversationId}/messages`, { token })
    expect(messages.body.items).toHaveLength(1)
    expect(messages.body.items[0]).toMatchObject({ id: first.itemId, text: 'My kettle stopped working.' })
  })

  it('answers 201 for a new item through the API channel and 200 for its retry', async () => {
    const item = email('<rest-1@mail>')
    const created = await api(t.server.url, 'POST', '/api/v1/inbound', { token: integration, body: item })
    expect(created.status).toBe(201)
    expect(created.body.duplicate).toBe(false)
    const retried = await api(t.server.url, 'POST', '/api/v1/inbound', { token: integration, body: item })
    expect(retried.status).toBe(200)
    expect(retried.body).toEqual({ ...created.body, duplicate: true })
    expect((await t.server.counts()).messages).toBe(1)
  })

  it('recognizes the customer across channels by normalized address and links disclosed identities', async () => {
    const mail = await t.server.ingest(email('<m1@mail>'))
    const chat = await t.server.ingest({
      channel: 'chat',
      externalId: 'chat-1',
      from: { kind: 'chat', address: 'visitor-77' },
      alsoKnownAs: [{ kind: 'email', address: ' JANE@example.com ' }],
      text: 'hello from the website',
      threadKey: 'session-77',
    })
    const sms = await t.server.ingest({ channel: 'sms', externalId: 'SM-1', from: { kind: 'phone', address: '+1 415 555 2671' }, text: 'hi' })
    const wa = await t.server.ingest({ channel: 'whatsapp', externalId: 'wamid-1', from: { kind: 'whatsapp', address: '14155552671' }, text: 'hi' })
    expect(chat.customerId).toBe(mail.customerId)
    expect(wa.customerId).toBe(sms.customerId)
    expect(sms.customerId).not.toBe(mail.customerId)

    const profile = await api(t.server.url, 'GET', `/api/v1/customers/${mail.customerId}`, { token })
    expect(profile.body.customer.name).toBe('Jane Roe')
    expect(profile.body.identities.map((i: { kind: string; address: string }) => `${i.kind}:${i.address}`).sort()).toEqual([
      'chat:visitor-77',
      'email:jane@example.com',
    ])
    // Her chat joined her open email conversation: one matter, last on chat, holding both channels.
    expect(profile.body.conversations.map((c: { id: string; channel: string }) => [c.id, c.channel])).toEqual([[mail.conversationId, 'chat']])
    expect(chat.conversationId).toBe(mail.conversationId)
    const messages = await api(t.server.url, 'GET', `/api/v1/conversations/${mail.conversationId}/messages`, { token })
    expect(messages.body.items.map((m: { channel: string }) => m.channel)).toEqual(['email', 'chat'])
  })

  it('stores HTML only after removing scripts, event handlers and javascript: links', async () => {
    const r = await t.server.ingest(
      email('<html-1@mail>', { html: '<p onmouseover="steal()">Hi<script>steal()</script> <a href="javascript:steal()">click</a></p>' }),
    )
    const page = await api(t.server.url, 'GET', `/api/v1/conversations/${r.conversationId}/messages`, { token })
    const html: string = page.body.items[0].html
    expect(html).toContain('Hi')
    expect(html).not.toMatch(/script|onmouseover|javascript:/i)
  })

  it('refuses malformed items with a clear 400 and stores nothing', async () => {
    const before = await t.server.counts()
    const missing = await api(t.server.url, 'POST', '/api/v1/inbound', {
      token: integration,
      body: { channel: 'sms', from: { kind: 'phone', address: '+14155552671' }, text: 'no external id' },
    })
    expect(missing.status).toBe(400)
    expect(missing.body.error.code).toBe('bad_request')
    expect(missing.body.error.issues).toContainEqual(expect.objectContaining({ path: 'body.externalId' }))

    const badPhone = await api(t.server.url, 'POST', '/api/v1/inbound', {
      token: integration,
      body: { channel: 'sms', externalId: 'SM-x', from: { kind: 'phone', address: '12' }, text: 'hi' },
    })
    expect(badPhone.status).toBe(400)
    expect(badPhone.body.error.message).toMatch(/invalid phone address "12"/)

    const voiceWithoutCall = await api(t.server.url, 'POST', '/api/v1/inbound', {
      token: integration,
      body: { channel: 'voice', externalId: 'CA-x', from: { kind: 'phone', address: '+14155552671' } },
    })
    expect(voiceWithoutCall.status).toBe(400)
    expect(voiceWithoutCall.body.error.message).toMatch(/voice items carry a call object/)

    const notJson = await api(t.server.url, 'POST', '/api/v1/inbound', { token: integration, rawBody: '{"channel": "sms",' })
    expect(notJson.status).toBe(400)

    await expect(t.server.ingest({ channel: 'email', externalId: 'x', from: { kind: 'email', address: 'not-an-email' }, text: 'x' })).rejects.toThrow(
      /invalid email address "not-an-email"/,
    )
    expect(await t.server.counts()).toEqual(before)
  })

  it('refuses items without a valid token, or for an inbox the integration may not post to', async () => {
    const anonymous = await api(t.server.url, 'POST', '/api/v1/inbound', { body: email('<anon@mail>') })
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.error.message).toMatch(/missing API token/)
    const forged = await api(t.server.url, 'POST', '/api/v1/inbound', { token: 'tl_forged', body: email('<anon@mail>') })
    expect(forged.status).toBe(401)
    const sales = await integrationWithToken(t.server, ['sales'], 'Sales form')
    const wrongInbox = await api(t.server.url, 'POST', '/api/v1/inbound', { token: sales.token, body: email('<s@mail>') })
    expect(wrongInbox.status).toBe(403)
    expect(wrongInbox.body.error.message).toBe('integration "Sales form" may not post to inbox "support" (its inboxes: sales)')
    expect((await t.server.counts()).messages).toBe(0)
  })

  it('pokes a connected client right after an ingest with the new changes', async () => {
    const { socket, pokes } = await connectClient(t.server.url, token)
    try {
      const seqBefore = (await t.server.counts()).lastSeq
      const result = await t.server.ingest(email('<live@mail>'))
      const poke = await waitFor(() => pokes.find((p) => p.changes.some((c) => c.id === result.itemId)), 'a poke with the message')
      expect(poke.after).toBe(seqBefore)
      expect(poke.cursor).toBe((await t.server.counts()).lastSeq)
      expect(poke.changes.map((c) => c.entity)).toEqual(['customer', 'identity', 'conversation', 'message'])
      expect(poke.changes.at(-1)?.data).toMatchObject({ id: result.itemId, direction: 'inbound', deliveryStatus: 'received' })
    } finally {
      socket.close()
    }
  })

  it('folds call lifecycle webhooks into one call record', async () => {
    const caller = { kind: 'phone' as const, address: '+14155552671' }
    const ringing = await t.server.ingest({ channel: 'voice', externalId: 'CA-9', from: caller, call: { status: 'ringing' } })
    const missed = await t.server.ingest({ channel: 'voice', externalId: 'CA-9', from: caller, call: { status: 'completed', outcome: 'missed' } })
    expect(missed).toEqual({ ...ringing, duplicate: false })
    const timeline = await api(t.server.url, 'GET', `/api/v1/customers/${ringing.customerId}/timeline`, { token })
    const calls = timeline.body.items.filter((i: { kind: string }) => i.kind === 'call')
    expect(calls).toHaveLength(1)
    expect(calls[0].item).toMatchObject({ status: 'completed', outcome: 'missed' })
    const conversation = await api(t.server.url, 'GET', `/api/v1/conversations/${ringing.conversationId}`, { token })
    expect(conversation.body.waitingSince).not.toBeNull()
  })
})

describe('outbound delivery', () => {
  const messageOf = async (conversationId: string, id: string) => {
    const page = await api(t.server.url, 'GET', `/api/v1/conversations/${conversationId}/messages`, { token })
    return page.body.items.find((m: { id: string }) => m.id === id)
  }

  it('sandbox: a reply is queued, then sent, then delivered, and the client sees each state', async () => {
    const { socket, pokes } = await connectClient(t.server.url, token)
    try {
      const inbound = await t.server.ingest(email('<q@mail>'))
      const reply = await api(t.server.url, 'POST', `/api/v1/conversations/${inbound.conversationId}/reply`, {
        token,
        body: { text: 'A new kettle is on its way.', messageId: 'reply-1' },
      })
      expect(reply.status).toBe(201)
      expect(reply.body).toMatchObject({ id: 'reply-1', direction: 'outbound', deliveryStatus: 'queued', authorName: 'Alex', subject: 'Re: Broken kettle' })
      await waitFor(
        () => pokes.some((p) => p.changes.some((c) => c.id === 'reply-1' && c.data?.deliveryStatus === 'delivered')),
        'the delivered state to reach the client',
      )
      const states = pokes.flatMap((p) => p.changes.filter((c) => c.id === 'reply-1').map((c) => c.data?.deliveryStatus))
      expect(states).toEqual(['queued', 'sent', 'delivered'])
      expect(await messageOf(inbound.conversationId, 'reply-1')).toMatchObject({ externalId: expect.stringMatching(/^sandbox-/) })
      const conversation = await api(t.server.url, 'GET', `/api/v1/conversations/${inbound.conversationId}`, { token })
      expect(conversation.body.waitingSince).toBeNull()
    } finally {
      socket.close()
    }
  })

  it('outbound "none": replies stay queued for an integration, which reports delivery over REST', async () => {
    await t.cleanup()
    t = await startTestServer({ outbound: 'none' })
    token = (await userWithToken(t.server, 'Alex')).token
    const inbound = await t.server.ingest(email('<n@mail>'))
    await api(t.server.url, 'POST', `/api/v1/conversations/${inbound.conversationId}/reply`, { token, body: { text: 'On it', messageId: 'r-2' } })
    await new Promise((r) => setTimeout(r, 150))
    const queue = await api(t.server.url, 'GET', '/api/v1/outbound', { token })
    expect(queue.body.items).toEqual([
      expect.objectContaining({ message: expect.objectContaining({ id: 'r-2', deliveryStatus: 'queued' }), recipient: expect.objectContaining({ address: 'jane@example.com' }) }),
    ])
    const sent = await api(t.server.url, 'POST', '/api/v1/messages/r-2/delivery', { token, body: { status: 'sent', externalId: '<r-2@smtp>' } })
    expect(sent.status).toBe(200)
    expect(sent.body).toMatchObject({ deliveryStatus: 'sent', externalId: '<r-2@smtp>' })
    // A late or repeated report never moves the message backwards.
    await api(t.server.url, 'POST', '/api/v1/messages/r-2/delivery', { token, body: { status: 'delivered' } })
    const late = await api(t.server.url, 'POST', '/api/v1/messages/r-2/delivery', { token, body: { status: 'sent' } })
    expect(late.body.deliveryStatus).toBe('delivered')
    expect((await api(t.server.url, 'GET', '/api/v1/outbound', { token })).body.items).toEqual([])
    const bad = await api(t.server.url, 'POST', '/api/v1/messages/r-2/delivery', { token, body: { status: 'teleported' } })
    expect(bad.status).toBe(400)
    const inboundReport = await api(t.server.url, 'POST', `/api/v1/messages/${inbound.itemId}/delivery`, { token, body: { status: 'read' } })
    expect(inboundReport.status).toBe(400)
    expect((await api(t.server.url, 'POST', '/api/v1/messages/nope/delivery', { token, body: { status: 'read' } })).status).toBe(404)
  })
})

let hostileSeq = 0
const htmlEmail = (html: string, text = ''): InboundMessage => ({
  channel: 'email',
  inbox: 'support',
  externalId: `<hostile-${++hostileSeq}@mail>`,
  from: { kind: 'email', address: `sender${hostileSeq}@example.com` },
  subject: 'Formatting',
  text,
  html,
})

async function storedMessage(conversationId: string): Promise<Message> {
  const res = await api(t.server.url, 'GET', `/api/v1/conversations/${conversationId}/messages`, { token })
  expect(res.status).toBe(200)
  const [message] = (res.body as { items: Message[] }).items
  if (!message) throw new Error('the conversation has no message')
  return message
}

describe('HTML that would take the server minutes to sanitize', () => {
  it('keeps the words of 120,000 nested tags and says why the formatting is gone', async () => {
    const res = await api(t.server.url, 'POST', '/api/v1/inbound', { token: integration, body: htmlEmail('<p>' + '<b>'.repeat(120_000) + 'x</p>') })
    expect(res.status).toBe(201)
    const message = await storedMessage(res.body.conversationId)
    expect(message).toMatchObject({ html: null, htmlOmitted: 'too_complex', text: 'x' })
  })

  it('keeps the text part of a body over the size limit', async () => {
    const html = '<div>'.repeat(200_000) + 'deep' + '</div>'.repeat(200_000)
    const res = await api(t.server.url, 'POST', '/api/v1/inbound', { token: integration, body: htmlEmail(html, 'The plain version.') })
    expect(res.status).toBe(201)
    const message = await storedMessage(res.body.conversationId)
    expect(message).toMatchObject({ html: null, htmlOmitted: 'too_large', text: 'The plain version.' })
  })

  it('answers other requests while a large body is being sanitized', async () => {
    const cell = '<table><tr><td><div><span>Order <a href="https://shop.example/o/1">#1</a></span></div></td></tr></table>'
    const html = cell.repeat(18_000)
    const order: string[] = []
    const hostile = api(t.server.url, 'POST', '/api/v1/inbound', { token: integration, body: htmlEmail(html) }).then((r) => {
      order.push('large email')
      return r
    })
    // Sent once the large body is in: the server is then sanitizing it.
    await new Promise((r) => setTimeout(r, 100))
    const health = await api(t.server.url, 'GET', '/health', {}).then((r) => {
      order.push('health')
      return r
    })
    expect(health.status).toBe(200)
    const stored = await hostile
    expect(stored.status).toBe(201)
    expect(order).toEqual(['health', 'large email'])
    const message = await storedMessage(stored.body.conversationId)
    expect(message.htmlOmitted ?? null).toBeNull()
    expect(message.html).toContain('rel="noopener noreferrer nofollow"')
  })
})
