import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Conversation, Message } from '../../src/shared/domain'
import type { IngestResult } from '../../src/shared/ingest'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/**
 * The whole product in a real browser: a sync server on a free loopback port with its own
 * SQLite file, the browser host running the client core, and Debian's Chromium driving the
 * built renderer. One customer reached the company by chat, email, SMS and phone; the agent
 * opens their timeline, sees the story in order, answers, and the answer reaches the server.
 */

const HOUR = 3_600_000

let env: E2eEnvironment
const ingested: Record<'chat' | 'email' | 'sms' | 'voice', IngestResult> = {} as never

async function serverMessages(conversationId: string): Promise<Message[]> {
  const res = await fetch(`${env.server.url}/api/v1/conversations/${conversationId}/messages?limit=500`, {
    headers: { authorization: `Bearer ${env.agent.token}` },
  })
  if (!res.ok) throw new Error(`GET messages: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { items: Message[] }).items
}

async function serverConversation(conversationId: string): Promise<Conversation> {
  const res = await fetch(`${env.server.url}/api/v1/conversations/${conversationId}`, {
    headers: { authorization: `Bearer ${env.agent.token}` },
  })
  if (!res.ok) throw new Error(`GET conversation: ${res.status} ${await res.text()}`)
  return (await res.json()) as Conversation
}

beforeAll(async () => {
  env = await startEnvironment({
    viewport: { width: 1400, height: 900 },
    async seed(server) {
      const agent = await server.createUser({ name: 'Alex Morgan', email: 'alex@example.test', role: 'agent', team: 'Support' })
      const now = Date.now()
      const email = 'maya.lindqvist@example.test'
      const phone = '+46701234567'
      // Ingested out of time order on purpose: the timeline must order by when things happened.
      ingested.email = await server.ingest({
        channel: 'email',
        inbox: 'support@example.test',
        externalId: '<order-4411@mail.example.test>',
        from: { kind: 'email', address: email, name: 'Maya Lindqvist' },
        subject: 'Order #4411 arrived damaged',
        text: 'Hello, the lamp in order #4411 arrived with a cracked shade. Photos attached.',
        sentAt: now - 4 * HOUR,
      })
      ingested.chat = await server.ingest({
        channel: 'chat',
        inbox: 'website',
        externalId: 'chat-msg-1',
        threadKey: 'chat-session-1',
        from: { kind: 'chat', address: 'visitor-7f3a', name: 'Maya Lindqvist' },
        alsoKnownAs: [{ kind: 'email', address: email }],
        text: 'Hi! Is there a way to check whether my lamp order has shipped?',
        sentAt: now - 5 * HOUR,
      })
      ingested.sms = await server.ingest({
        channel: 'sms',
        inbox: '+14155550100',
        externalId: 'SM-0001',
        from: { kind: 'phone', address: phone },
        alsoKnownAs: [{ kind: 'email', address: email }],
        text: 'Any news on the replacement shade? Thanks, Maya',
        sentAt: now - 3 * HOUR,
      })
      ingested.voice = await server.ingest({
        channel: 'voice',
        inbox: '+14155550100',
        externalId: 'CA-0001',
        from: { kind: 'phone', address: phone },
        text: '',
        call: { status: 'completed', outcome: 'answered', durationSeconds: 252 },
        sentAt: now - 2 * HOUR,
      })
      await server.ingest({
        channel: 'email',
        inbox: 'support@example.test',
        externalId: '<invoice-77@mail.example.test>',
        from: { kind: 'email', address: 'jonas.berg@example.test', name: 'Jonas Berg' },
        subject: 'Invoice question',
        text: 'Could you resend the invoice for March?',
        sentAt: now - 6 * HOUR,
      })
      return agent
    },
  })
})

afterAll(async () => {
  await env?.close()
})

describe('agent workspace in the browser host', () => {
  it('shows one customer across chat, email, SMS and a call as one timeline, in time order', async () => {
    const all = [ingested.chat, ingested.email, ingested.sms, ingested.voice]
    expect(new Set(all.map((r) => r.customerId)).size).toBe(1)

    const workspace = new WorkspacePage(env.page)
    await workspace.open(env.host.url)
    // The token moved from the address bar into the tab's session storage.
    expect(env.page.url()).not.toContain('token=')

    await workspace.inboxRow('Maya Lindqvist').first().waitFor()
    await workspace.openCustomer('Maya Lindqvist')
    await expect.poll(() => workspace.timelineChannels(), { timeout: 15_000 }).toEqual(['chat', 'email', 'sms', 'voice'])

    const texts = await workspace.timelineTexts()
    expect(texts.join('\n')).toContain('Order #4411 arrived damaged')
    expect(texts.join('\n')).toMatch(/Inbound call[\s\S]*Answered[\s\S]*4m 12s/)
    // Another customer's conversation never leaks into this timeline.
    expect(texts.join('\n')).not.toContain('invoice for March')
  })

  it('sends a reply that shows at once and reaches the server, with its delivery state', async () => {
    const workspace = new WorkspacePage(env.page)
    const text = 'Hi Maya, a replacement shade is on its way today. Sorry about that!'
    await workspace.reply(text)

    // Shown immediately from the local outbox, before or while the server takes it.
    await workspace.message(text).waitFor({ timeout: 5_000 })

    // Calls take no written reply: the answer goes to her latest messaging conversation (SMS).
    await expect
      .poll(async () => (await serverMessages(ingested.sms.conversationId)).find((m) => m.text === text)?.deliveryStatus, {
        timeout: 20_000,
      })
      .toBe('delivered')
    const onServer = (await serverMessages(ingested.sms.conversationId)).filter((m) => m.text === text)
    expect(onServer).toHaveLength(1)
    expect(onServer[0]).toMatchObject({ direction: 'outbound', channel: 'sms', authorName: 'Alex Morgan' })

    // The sandbox connector's receipts flow back through sync to the timeline.
    await expect.poll(() => workspace.deliveryState(text), { timeout: 20_000 }).toBe('Delivered')
    const last = await workspace.timelineChannels()
    expect(last.at(-1)).toBe('sms')
  })

  it('shows a new message from the customer live, without a reload', async () => {
    const workspace = new WorkspacePage(env.page)
    const text = 'Got it, thank you so much!'
    await env.server.ingest({
      channel: 'sms',
      inbox: '+14155550100',
      externalId: 'SM-0002',
      from: { kind: 'phone', address: '+46701234567' },
      text,
    })
    await workspace.message(text).waitFor({ timeout: 10_000 })
    expect((await workspace.timelineChannels()).at(-1)).toBe('sms')
  })

  it('assigns the conversation to the agent and resolves it, on screen and on the server', async () => {
    const workspace = new WorkspacePage(env.page)
    // The inbox row opened her call; the agent switches the header to the SMS conversation.
    await workspace.actOnConversation('SMS')
    await workspace.assignToMe()
    await workspace.resolve()
    await expect.poll(() => workspace.conversationStatus(), { timeout: 5_000 }).toBe('Resolved')
    await expect
      .poll(() => serverConversation(ingested.sms.conversationId), { timeout: 20_000 })
      .toMatchObject({ status: 'resolved', assigneeId: env.agent.id })
    // The timeline records both actions as events, at its end: the picker scrolled it to the SMS conversation.
    await expect
      .poll(
        async () => {
          await workspace.scrollTimelineToEnd()
          return (await workspace.timelineTexts()).join('\n')
        },
        { timeout: 10_000 },
      )
      .toMatch(/resolved the conversation/)
  })
})
