import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import { io, type Socket } from 'socket.io-client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  CHAT_SOCKET_PATH,
  type ChatAck,
  type ChatClientToServerEvents,
  type ChatError,
  type ChatServerToClientEvents,
  type ChatSession,
  type OkResponse,
  type SendResponse,
} from '../../src/shared/chat'
import type { Customer, Identity, Message, TimelineEvent, User } from '../../src/shared/domain'
import type { TypingNotice } from '../../src/shared/sync'
import type { IngestResult } from '../../src/shared/ingest'
import { signIdentity } from '../../src/server/connectors/webchat/identity-proof'
import { consentHistory } from '../../src/shared/consent-history'
import { CHROMIUM_ARGS, ChatWidgetPage, serveEmbeddingSite, type EmbeddingSite } from '../e2e/pages/chat-widget-page'
import { api, connectClient, startTestServer, userWithToken, waitFor, type SyncClient, type TestServer } from './server-fixtures'
import { emailConnector, startDovecot, startSmtpCapture, type DovecotServer, type SmtpCapture } from './support/mail-servers'

/**
 * The web chat as visitors use it: Debian's Chromium on a shop's page (its own origin) that
 * embeds the widget with one script tag, the real sync server on a free loopback port, and a
 * real agent connected over the sync socket.
 */

const CHROMIUM = process.env.THREADLINE_CHROMIUM ?? '/usr/bin/chromium'
const INBOX = 'Website chat'
/** A second chat inbox, which mails visitors a code to prove the email they typed. */
const CODE_INBOX = 'Help center chat'
/** Takes connections that send no Origin: a partner's server relaying its users' chats. */
const SERVER_CLIENTS_INBOX = 'Partner relay chat'
/** Inboxes with tight rate limits, each for the one test that fills them. */
const BURST_INBOX = 'Burst chat'
const CROWD_INBOX = 'Crowded chat'
const TEAM_INBOX = 'Small team chat'
const SECRET = 'webchat-test-secret-0123456789abcdef'
const CONSENT_QUESTION = 'Send me news and offers by email'
const IDENTITY_SECRET = 'shop-backend-identity-secret-0123456789'
const SUPPORT = 'support@threadline.test'

type ChatClient = Socket<ChatServerToClientEvents, ChatClientToServerEvents>

let t: TestServer
let dovecot: DovecotServer
let smtp: SmtpCapture
let site: EmbeddingSite
let browser: Browser
let agent: { user: User; token: string }
let agentSocket: SyncClient | null = null
const typingSeen: TypingNotice[] = []
const widgets: ChatWidgetPage[] = []
const chatClients: ChatClient[] = []

async function connectAgent(): Promise<void> {
  const { socket } = await connectClient(t.server.url, agent.token)
  socket.on('typing', (n) => typingSeen.push(n))
  agentSocket = socket
}

function disconnectAgent(): void {
  agentSocket?.close()
  agentSocket = null
}

async function openWidget(): Promise<ChatWidgetPage> {
  const widget = await ChatWidgetPage.open(browser, site)
  widgets.push(widget)
  return widget
}

/** A raw chat socket, as the shop's page would open one; `origin: null` sends none, as a script outside a browser. */
async function chatClient(options: { origin?: string | null; auth?: Record<string, unknown> } = {}): Promise<ChatClient> {
  const origin = options.origin === undefined ? site.origin : options.origin
  const socket: ChatClient = io(t.server.url, {
    path: CHAT_SOCKET_PATH,
    auth: options.auth ?? { inbox: INBOX },
    transports: ['websocket'],
    reconnection: false,
    ...(origin ? { extraHeaders: { origin } } : {}),
  })
  chatClients.push(socket)
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('connect_error', (err) => reject(err))
  })
  return socket
}

/** Why the server turned a chat connection away, as socket.io hands it to the client. */
async function refusedConnection(options: Parameters<typeof chatClient>[0]): Promise<Error & { data?: ChatError['error'] }> {
  const refusal = await chatClient(options).then(
    () => null,
    (err: Error) => err,
  )
  if (!refusal) throw new Error('the connection was accepted')
  return refusal
}

/** The texts of a conversation, oldest first, every stored copy. */
async function conversationTexts(conversationId: string): Promise<string[]> {
  const res = await api(t.server.url, 'GET', `/api/v1/conversations/${conversationId}/messages?limit=500`, { token: agent.token })
  expect(res.status).toBe(200)
  return (res.body.items as Message[]).map((m) => m.text)
}

async function timeline(customerId: string): Promise<{ kind: string; item: Message | TimelineEvent }[]> {
  const res = await api(t.server.url, 'GET', `/api/v1/customers/${customerId}/timeline?limit=200`, { token: agent.token })
  expect(res.status).toBe(200)
  return res.body.items
}

async function customer(id: string): Promise<{ customer: Customer; identities: Identity[] }> {
  return (await api(t.server.url, 'GET', `/api/v1/customers/${id}`, { token: agent.token })).body
}

/** The inbound chat message with this text, as the server stored it. */
async function storedChatMessage(text: string): Promise<Message> {
  const res = await api(t.server.url, 'GET', `/api/v1/conversations?channel=chat&limit=100`, { token: agent.token })
  for (const c of res.body.items as { id: string }[]) {
    const messages = await api(t.server.url, 'GET', `/api/v1/conversations/${c.id}/messages?limit=500`, { token: agent.token })
    const found = (messages.body.items as Message[]).find((m) => m.text === text)
    if (found) return found
  }
  throw new Error(`no stored chat message "${text}"`)
}

/** A customer the team already knows by email, with one message on record. */
function knownCustomer(address: string, name: string, text: string): Promise<IngestResult> {
  return t.server.ingest({
    channel: 'email',
    inbox: 'Support email',
    externalId: `<${randomUUID()}@mail.example.test>`,
    from: { kind: 'email', address, name },
    subject: 'Lamp',
    text,
  })
}

async function eventually<T>(check: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** A web chat inbox for the shop's site, with the settings a test needs. */
function chatInbox(name: string, settings: Record<string, unknown>) {
  return { name, channel: 'chat' as const, connector: { type: 'webchat', secret: SECRET, allowedOrigins: [site.origin], ...settings } }
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-test-deps.sh`)
  site = await serveEmbeddingSite()
  dovecot = await startDovecot({ user: SUPPORT, password: 'imap-secret' })
  smtp = await startSmtpCapture()
  t = await startTestServer({
    inboxes: [
      {
        name: INBOX,
        channel: 'chat',
        connector: {
          type: 'webchat',
          secret: SECRET,
          allowedOrigins: [site.origin],
          title: 'Lamps & Co support',
          identitySecret: IDENTITY_SECRET,
          preChatConsent: CONSENT_QUESTION,
        },
      },
      {
        name: CODE_INBOX,
        channel: 'chat',
        connector: { type: 'webchat', secret: SECRET, allowedOrigins: [site.origin], title: 'Lamps & Co help', codeEmailInbox: 'Support email' },
      },
      {
        name: 'Support email',
        channel: 'email',
        connector: emailConnector(dovecot, smtp, 'Lamps & Co'),
      },
      chatInbox(SERVER_CLIENTS_INBOX, { allowServerClients: true }),
      chatInbox(BURST_INBOX, { preChatForm: false, rateLimits: { visitorBurst: { max: 2, perSeconds: 3 } } }),
      chatInbox(CROWD_INBOX, { rateLimits: { addressNewVisitors: { max: 4, perSeconds: 600 }, addressConnections: { max: 6, perSeconds: 600 } } }),
      chatInbox(TEAM_INBOX, { rateLimits: { inboxMessages: { max: 3, perSeconds: 600 }, inboxNewVisitors: { max: 3, perSeconds: 600 } } }),
    ],
  })
  site.setServer(t.server.url, INBOX)
  agent = await userWithToken(t.server, 'Alex Morgan')
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
})

afterEach(async () => {
  site.setServer(t.server.url, INBOX)
  site.signIn(null)
  for (const w of widgets.splice(0)) await w.close()
  for (const c of chatClients.splice(0)) c.close()
  disconnectAgent()
  typingSeen.length = 0
})

afterAll(async () => {
  await browser?.close()
  await t?.cleanup()
  await site?.close()
  await smtp?.close()
  await dovecot?.cleanup()
})

describe('web chat widget', () => {
  it('serves one script that renders in a shadow root, untouched by the page’s CSS', async () => {
    const res = await fetch(`${t.server.url}/widget.js`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('javascript')
    const size = (await res.text()).length
    expect(size).toBeLessThan(120_000)

    await connectAgent()
    const widget = await openWidget()
    // The page hides every <button> and paints text red at 40px; the launcher inside the shadow root is unaffected.
    await expect(widget.launcher.isVisible()).resolves.toBe(true)
    await expect(widget.launcher.evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).color)).resolves.toBe(
      'rgb(255, 255, 255)',
    )
  })

  it('takes a visitor’s messages into the timeline, shows typing both ways, an agent reply live, and survives a reload', async () => {
    await connectAgent()
    const widget = await openWidget()
    await widget.openChat()
    await expect(widget.status.textContent()).resolves.toBe('We are online')
    await widget.fillPrechat({ name: 'Robin Park' })
    await widget.send('Hi! Where is my order #5521?')

    const first = await storedChatMessage('Hi! Where is my order #5521?')
    expect(first).toMatchObject({ channel: 'chat', direction: 'inbound', authorName: 'Robin Park', deliveryStatus: 'received' })
    const entries = await timeline(first.customerId)
    expect(entries.map((e) => (e.item as Message).text)).toContain('Hi! Where is my order #5521?')
    await expect(customer(first.customerId)).resolves.toMatchObject({ customer: { name: 'Robin Park' } })

    // The visitor types: the agent is told, for that conversation.
    await widget.input.pressSequentially('It was due Monday')
    const typing = await waitFor(() => typingSeen.find((n) => n.typing), 'the visitor typing notice')
    expect(typing).toMatchObject({ conversationId: first.conversationId, customerId: first.customerId, name: 'Robin Park' })
    await waitFor(() => typingSeen.find((n) => !n.typing), 'the visitor stopped typing', 6_000)

    // The agent types: the visitor sees it.
    const ack = await agentSocket!.emitWithAck('typing', { conversationId: first.conversationId, typing: true })
    expect(ack).toEqual({ ok: true })
    await widget.agentTyping.filter({ hasText: 'Alex Morgan is typing…' }).waitFor()

    // The agent replies: it appears live, and the visitor's tab acknowledging it marks it delivered.
    const replyId = randomUUID()
    const result = await t.server.applyMutation(agent.user, {
      name: 'reply',
      args: { messageId: replyId, conversationId: first.conversationId, text: 'It left our warehouse this morning.' },
    })
    expect(result.outcome).toBe('applied')
    await widget.messages.filter({ hasText: 'It left our warehouse this morning.' }).waitFor()
    await expect(widget.agentTyping.isHidden()).resolves.toBe(true)
    await eventually(async () => {
      const res = await api<Message[]>(t.server.url, 'GET', `/api/v1/conversations/${first.conversationId}/messages`, { token: agent.token })
      const reply = (res.body as unknown as { items: Message[] }).items.find((m) => m.id === replyId)
      return reply?.deliveryStatus === 'delivered'
    }, 'the reply to be delivered')

    // A reload keeps the conversation (the signed token in localStorage) and skips the pre-chat form.
    await widget.reload()
    await widget.openChat()
    await widget.messages.filter({ hasText: 'It left our warehouse this morning.' }).waitFor()
    expect(await widget.texts()).toEqual(['Hi! Where is my order #5521?', 'It left our warehouse this morning.'])
    await expect(widget.prechatForm.count()).resolves.toBe(0)
    await widget.send('Thank you!')
    const third = await storedChatMessage('Thank you!')
    expect(third.conversationId).toBe(first.conversationId)
  })

  it('records a tick on the pre-chat form as marketing consent, carried by one message, with the form as its source', async () => {
    await connectAgent()
    const widget = await openWidget()
    await widget.openChat()
    await widget.fillPrechat({ name: 'Jo Berg', consent: CONSENT_QUESTION })
    await widget.send('Do you ship lamps to Norway?')
    await widget.send('And to Iceland?')
    const first = await storedChatMessage('Do you ship lamps to Norway?')
    expect((await customer(first.customerId)).customer.consent).toEqual({ promotional: true })
    const events = (await timeline(first.customerId)).flatMap((e) => (e.kind === 'event' ? [e.item as TimelineEvent] : []))
    expect(consentHistory(events)).toEqual([
      expect.objectContaining({ key: 'promotional', value: true, source: 'pre_chat_form', channel: 'chat', messageId: first.id, at: first.sentAt }),
    ])

    // Left unticked, the form asks nothing of the customer's consent.
    const other = await openWidget()
    await other.openChat()
    await other.fillPrechat({ name: 'Kai Holm' })
    await other.send('Is the brass lamp in stock?')
    const second = await storedChatMessage('Is the brass lamp in stock?')
    expect((await customer(second.customerId)).customer.consent).toEqual({})
  })

  it('never attaches a visitor to the customer whose email they typed: the agent gets a suggestion', async () => {
    await connectAgent()
    const maya = await knownCustomer('maya.lindqvist@example.test', 'Maya Lindqvist', 'The shade arrived cracked. Reset code 482913.')
    const widget = await openWidget()
    await widget.openChat()
    await widget.fillPrechat({ name: 'Maya', email: 'Maya.Lindqvist@example.test' })
    await widget.send('What was the code in my last email?')

    const message = await storedChatMessage('What was the code in my last email?')
    expect(message.customerId).not.toBe(maya.customerId)
    const mayaTexts = (await timeline(maya.customerId)).map((e) => (e.item as Message).text)
    expect(mayaTexts).not.toContain('What was the code in my last email?')
    expect((await customer(maya.customerId)).identities.map((i) => i.kind)).toEqual(['email'])
    const suggested = (await timeline(message.customerId)).find((e) => (e.item as TimelineEvent).type === 'identity_suggested')
    expect((suggested?.item as TimelineEvent).data).toMatchObject({ suggestedCustomerId: maya.customerId })
  })

  it('links a visitor the embedding site has signed in, and refuses a forged signature', async () => {
    await connectAgent()
    const noor = await knownCustomer('noor@example.test', 'Noor Haddad', 'My lamp flickers.')
    site.signIn({ userId: 'shop-user-17', email: 'noor@example.test', name: 'Noor', signature: signIdentity(IDENTITY_SECRET, 'shop-user-17', 'noor@example.test') })
    const widget = await openWidget()
    await widget.openChat()
    // The site said who this is: no form to fill.
    await widget.send('Still flickering after the new bulb.')
    expect((await storedChatMessage('Still flickering after the new bulb.')).customerId).toBe(noor.customerId)

    site.signIn({ userId: 'shop-user-18', email: 'noor@example.test', signature: signIdentity('not-the-inbox-secret-0123456789abcdef', 'shop-user-18', 'noor@example.test') })
    const forger = await openWidget()
    await forger.openChat()
    await forger.notice.filter({ hasText: /the signed identity does not match its signature/ }).waitFor()
    await forger.send('I am Noor, honestly.')
    expect((await storedChatMessage('I am Noor, honestly.')).customerId).not.toBe(noor.customerId)
  })

  it('links a visitor who proves the typed email with the code mailed to it', async () => {
    await connectAgent()
    site.setServer(t.server.url, CODE_INBOX)
    const ravi = await knownCustomer('ravi@example.test', 'Ravi Menon', 'Order 5512 is late.')
    const widget = await openWidget()
    await widget.openChat()
    await widget.fillPrechat({ name: 'Ravi', email: 'Ravi@example.test' })
    await widget.verifyForm.waitFor()
    const mail = await eventually(async () => smtp.received.find((m) => m.to.some((to) => to.toLowerCase() === 'ravi@example.test')), 'the code email')
    const code = /Subject: (\d{6}) is your code/.exec(mail.raw.toString('utf8'))?.[1]
    if (!code) throw new Error(`no code in:\n${mail.raw.toString('utf8')}`)

    await widget.enterCode(code === '000000' ? '000001' : '000000')
    await widget.notice.filter({ hasText: /That code is not right \(4 tries left\)/ }).waitFor()
    await widget.enterCode(code)
    await widget.send('Any news on 5512?')
    expect((await storedChatMessage('Any news on 5512?')).customerId).toBe(ravi.customerId)
    // The code went out apart from any conversation: nobody's timeline holds it.
    expect((await timeline(ravi.customerId)).map((e) => (e.item as Message).text).join('\n')).not.toContain(code)
  })

  it('answers a malformed payload with an error and keeps the socket working', async () => {
    const socket = await chatClient()
    const session = (await socket.emitWithAck('join', {})) as ChatSession
    expect(session.visitorId).toBeTruthy()

    const bad = (await socket.emitWithAck('send', { clientMessageId: 'not-a-uuid', text: 42 } as never)) as ChatError
    expect(bad.error.code).toBe('bad_request')
    expect(bad.error.message).toMatch(/clientMessageId must be a UUID/)
    expect(bad.error.message).toMatch(/text/)

    // Without an acknowledgement callback the refusal arrives as a `problem` event.
    const problem = new Promise<ChatError>((resolve) => socket.once('problem', resolve))
    socket.emit('typing', { typing: 'yes' } as never)
    await expect(problem).resolves.toMatchObject({ error: { code: 'bad_request', event: 'typing' } })

    const ok = (await socket.emitWithAck('send', { clientMessageId: randomUUID(), text: 'still here' })) as ChatAck<SendResponse>
    expect(ok).toMatchObject({ message: { from: 'visitor', text: 'still here' } })
    expect(socket.connected).toBe(true)
  })

  it('stores a retried send once and keeps each visitor’s chat to themselves', async () => {
    const socket = await chatClient()
    const session = (await socket.emitWithAck('join', {})) as ChatSession
    const send = { clientMessageId: randomUUID(), text: 'my address is 12 Elm Street' }
    const a = (await socket.emitWithAck('send', send)) as SendResponse
    const b = (await socket.emitWithAck('send', send)) as SendResponse
    expect(b.message.id).toBe(a.message.id)

    // The same token continues the conversation…
    const again = await chatClient({ auth: { inbox: INBOX, token: session.token } })
    const resumed = (await again.emitWithAck('join', {})) as ChatSession
    expect(resumed.visitorId).toBe(session.visitorId)
    expect(resumed.history.map((m) => m.text)).toEqual(['my address is 12 Elm Street'])

    // …a forged one (another visitor id under that signature) starts a stranger with nothing to read.
    const forged = `${randomUUID()}${session.token.slice(session.token.lastIndexOf('.'))}`
    const stranger = await chatClient({ auth: { inbox: INBOX, token: forged } })
    const strange = (await stranger.emitWithAck('join', {})) as ChatSession
    expect(strange.visitorId).not.toBe(session.visitorId)
    expect(strange.history).toEqual([])
  })

  it('refuses a page from an origin that is not allowed, and an unknown inbox', async () => {
    await expect(chatClient({ origin: 'https://evil.example' })).rejects.toThrow(/origin https:\/\/evil.example may not embed/)
    await expect(chatClient({ auth: { inbox: 'Nope' } })).rejects.toThrow(/unknown chat inbox "Nope"/)
    await expect(chatClient({ auth: { token: 7 } })).rejects.toThrow(/invalid chat handshake/)
  })

  it('refuses a client that sends no Origin, unless the inbox allows server-side clients', async () => {
    const refusal = await refusedConnection({ origin: null })
    expect(refusal.message).toBe(
      `the chat of inbox "${INBOX}" takes connections from web pages only: this one sent no Origin header (the inbox's allowServerClients setting lets such clients in)`,
    )
    expect(refusal.data).toMatchObject({ code: 'unauthorized' })

    const relay = await chatClient({ origin: null, auth: { inbox: SERVER_CLIENTS_INBOX } })
    await expect(relay.emitWithAck('join', {})).resolves.toMatchObject({ visitorId: expect.any(String) })
    // Allowing server-side clients does not let in a page of another site.
    await expect(chatClient({ origin: 'https://evil.example', auth: { inbox: SERVER_CLIENTS_INBOX } })).rejects.toThrow(/may not embed/)
  })

  it('offers the offline form when no agent is connected, and switches back when one connects', async () => {
    const widget = await openWidget()
    await widget.openChat()
    await widget.offlineForm.waitFor()
    await expect(widget.status.textContent()).resolves.toBe('We are away')
    await widget.leaveOfflineMessage({ name: 'Jo Doe', email: 'jo@example.test', text: 'Do you ship to Norway?' })

    const message = await storedChatMessage('Do you ship to Norway?')
    expect(message.subject).toBe('Offline message from the website chat')
    // The email given in the form is how the team answers: it is on the customer.
    const { identities } = await customer(message.customerId)
    expect(identities).toContainEqual(expect.objectContaining({ kind: 'email', address: 'jo@example.test', unverified: 'typed_in_chat' }))
    const entries = await timeline(message.customerId)
    expect(entries.some((e) => (e.item as Message).text === 'Do you ship to Norway?')).toBe(true)

    // Another visitor sees the status change live when an agent comes online.
    const next = await openWidget()
    await next.openChat()
    await next.offlineForm.waitFor()
    await connectAgent()
    await next.prechatForm.waitFor()
    await expect(next.status.textContent()).resolves.toBe('We are online')
  })
})

describe('web chat rate limits', () => {
  it('refuses a visitor’s burst past the limit with rate_limited, and stores every accepted message once', async () => {
    const socket = await chatClient()
    await socket.emitWithAck('join', {})
    const sends = Array.from({ length: 15 }, (_, i) => ({ clientMessageId: randomUUID(), text: `flood ${i}` }))
    const answers = await Promise.all(sends.map((send) => socket.emitWithAck('send', send) as Promise<ChatAck<SendResponse>>))

    const accepted = answers.flatMap((a, i) => ('message' in a ? [sends[i]!] : []))
    const refused = answers.flatMap((a) => ('error' in a ? [a.error] : []))
    // The default: 10 messages per 10 seconds.
    expect(accepted).toHaveLength(10)
    expect(refused).toHaveLength(5)
    for (const error of refused) {
      expect(error).toMatchObject({ code: 'rate_limited', event: 'send' })
      expect(error.message).toMatch(/^You are sending messages too fast; try again in (10|9) seconds\.$/)
      expect(error.retryAfterSeconds).toBeGreaterThan(0)
      expect(error.retryAfterSeconds).toBeLessThanOrEqual(10)
    }

    // A resend of an accepted message is answered with the stored one, though the visitor is over the limit…
    const resent = (await socket.emitWithAck('send', accepted[0]!)) as ChatAck<SendResponse>
    expect(resent).toMatchObject({ message: { text: accepted[0]!.text } })
    // …and a refused one stays refused until the window has room.
    const refusedSend = sends.find((s) => !accepted.includes(s))!
    await expect(socket.emitWithAck('send', refusedSend)).resolves.toMatchObject({ error: { code: 'rate_limited' } })

    const first = await storedChatMessage(accepted[0]!.text)
    const stored = await conversationTexts(first.conversationId)
    expect([...stored].sort()).toEqual(accepted.map((s) => s.text).sort())
    expect(socket.connected).toBe(true)
  })

  it('caps a visitor’s events of every kind, so a flood of typing notices stops short of the agents', async () => {
    await connectAgent()
    const socket = await chatClient()
    await socket.emitWithAck('join', {})
    await socket.emitWithAck('send', { clientMessageId: randomUUID(), text: 'typing a lot' })
    const typingBefore = typingSeen.length
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => socket.emitWithAck('typing', { typing: i % 2 === 0 }) as Promise<ChatAck<OkResponse>>),
    )
    const refused = answers.filter((a) => 'error' in a)
    // The default: 60 events per 10 seconds, the join and the message included.
    expect(answers.length - refused.length).toBe(58)
    expect(refused[0]).toMatchObject({ error: { code: 'rate_limited', event: 'typing' } })
    await new Promise((r) => setTimeout(r, 200))
    expect(typingSeen.length - typingBefore).toBeLessThanOrEqual(58)
    expect(socket.connected).toBe(true)
  })

  it('refuses many new visitors from one address at the handshake, and makes no customer for visitors who never wrote', async () => {
    const crowd: { socket: ChatClient; session: ChatSession }[] = []
    for (let i = 0; i < 4; i++) {
      const socket = await chatClient({ auth: { inbox: CROWD_INBOX } })
      const session = (await socket.emitWithAck('join', {})) as ChatSession
      await socket.emitWithAck('identify', { name: `Crowd visitor ${i}` })
      await socket.emitWithAck('typing', { typing: true })
      crowd.push({ socket, session })
    }

    const refusal = await refusedConnection({ auth: { inbox: CROWD_INBOX } })
    expect(refusal.message).toBe('Too many new chats from your network; try again in 10 minutes.')
    expect(refusal.data).toMatchObject({ code: 'rate_limited' })
    expect(refusal.data?.retryAfterSeconds).toBeGreaterThan(590)

    // A returning visitor is not new: their token still gets them in, until the address has connected too often.
    const { token } = crowd[0]!.session
    await chatClient({ auth: { inbox: CROWD_INBOX, token } })
    await chatClient({ auth: { inbox: CROWD_INBOX, token } })
    await expect(refusedConnection({ auth: { inbox: CROWD_INBOX, token } })).resolves.toMatchObject({
      message: 'Too many chat connections from your network; try again in 10 minutes.',
      data: { code: 'rate_limited' },
    })

    // Connecting, filling the form and typing made no customer; the first message makes one.
    const search = async (q: string): Promise<Customer[]> =>
      (await api(t.server.url, 'GET', `/api/v1/customers?q=${encodeURIComponent(q)}`, { token: agent.token })).body.items
    await expect(search('Crowd visitor')).resolves.toEqual([])
    await expect(crowd[0]!.socket.emitWithAck('send', { clientMessageId: randomUUID(), text: 'Do you sell shades?' })).resolves.toMatchObject({
      message: { text: 'Do you sell shades?' },
    })
    expect((await search('Crowd visitor')).map((c) => c.name)).toEqual(['Crowd visitor 0'])
  })

  it('caps the messages and the new visitors of the whole inbox, whoever sends them', async () => {
    const visitors: ChatClient[] = []
    for (let i = 0; i < 3; i++) {
      const socket = await chatClient({ auth: { inbox: TEAM_INBOX } })
      await socket.emitWithAck('join', {})
      visitors.push(socket)
    }
    await expect(refusedConnection({ auth: { inbox: TEAM_INBOX } })).resolves.toMatchObject({
      message: 'The chat is too busy for new visitors right now; try again in 10 minutes.',
      data: { code: 'rate_limited' },
    })

    const [a, b, c] = visitors as [ChatClient, ChatClient, ChatClient]
    const send = (socket: ChatClient, text: string) => socket.emitWithAck('send', { clientMessageId: randomUUID(), text }) as Promise<ChatAck<SendResponse>>
    await expect(send(a, 'team one')).resolves.toMatchObject({ message: { text: 'team one' } })
    await expect(send(b, 'team two')).resolves.toMatchObject({ message: { text: 'team two' } })
    await expect(send(a, 'team three')).resolves.toMatchObject({ message: { text: 'team three' } })
    await expect(send(c, 'team four')).resolves.toMatchObject({
      error: { code: 'rate_limited', message: 'The team is receiving too many messages right now; try again in 10 minutes.' },
    })
    await expect(storedChatMessage('team four')).rejects.toThrow(/no stored chat message/)
  })

  it('shows the widget’s visitor a refusal for sending too fast and sends the held message when allowed', async () => {
    await connectAgent()
    site.setServer(t.server.url, BURST_INBOX)
    const widget = await openWidget()
    await widget.openChat()
    await widget.send('burst one')
    await widget.send('burst two')
    await widget.input.fill('burst three')
    await widget.input.press('Enter')

    await widget.notice.filter({ hasText: /^You are sending messages too fast; try again in [1-3] seconds?\.$/ }).waitFor()
    await expect(widget.messages.filter({ hasText: 'burst three' }).getAttribute('data-state')).resolves.toBe('sending')
    // Held, not dropped: it goes out once the window has room (2 messages per 3 seconds here).
    await widget.messages.filter({ hasText: 'burst three' }).and(widget.panel.locator('li[data-id]')).waitFor({ timeout: 10_000 })
    await expect(widget.notice.isHidden()).resolves.toBe(true)
    const three = await storedChatMessage('burst three')
    expect(await conversationTexts(three.conversationId)).toEqual(['burst one', 'burst two', 'burst three'])
  })
})
