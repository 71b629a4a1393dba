import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Conversation, Message } from '../../src/shared/domain'
import type { IngestResult } from '../../src/shared/ingest'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/**
 * The agent's daily flows in a real browser against a real sync server: search, the
 * keyboard-only path from inbox to resolved, and working through a server outage.
 */

const HOUR = 3_600_000
let env: E2eEnvironment
let workspace: WorkspacePage
const ingested: Record<'email' | 'sms' | 'chat' | 'other', IngestResult> = {} as never

async function serverGet<T>(path: string): Promise<T> {
  const res = await fetch(`${env.server.url}/api/v1${path}`, { headers: { authorization: `Bearer ${env.agent.token}` } })
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}
const serverMessages = async (conversationId: string) =>
  (await serverGet<{ items: Message[] }>(`/conversations/${conversationId}/messages?limit=500`)).items
const serverConversation = (conversationId: string) => serverGet<Conversation>(`/conversations/${conversationId}`)

beforeAll(async () => {
  env = await startEnvironment({
    seed: async (server) => {
      const agent = await server.createUser({ name: 'Alex Morgan', email: 'alex@example.test', role: 'agent', team: 'Support' })
      await server.createUser({ name: 'Priya Shah', email: 'priya@example.test', role: 'agent', team: 'Billing' })
      const now = Date.now()
      const email = 'maya.lindqvist@example.test'
      ingested.email = await server.ingest({
        channel: 'email',
        inbox: 'support@example.test',
        externalId: '<order-4411@mail.example.test>',
        from: { kind: 'email', address: email, name: 'Maya Lindqvist' },
        subject: 'Order #4411 arrived damaged',
        text: 'Hello, the lamp in order #4411 arrived with a cracked shade. Photos attached.',
        sentAt: now - 4 * HOUR,
      })
      ingested.sms = await server.ingest({
        channel: 'sms',
        inbox: '+14155550100',
        externalId: 'SM-0001',
        from: { kind: 'phone', address: '+46701234567' },
        alsoKnownAs: [{ kind: 'email', address: email }],
        text: 'Any news on the replacement shade? Thanks, Maya',
        sentAt: now - 3 * HOUR,
      })
      ingested.chat = await server.ingest({
        channel: 'chat',
        inbox: 'website',
        externalId: 'chat-msg-77',
        threadKey: 'chat-session-77',
        from: { kind: 'chat', address: 'visitor-9bd1', name: 'Oskar Nilsson' },
        text: 'Do you ship the Aurora floor lamp to Norway?',
        sentAt: now - 2 * HOUR,
      })
      ingested.other = await server.ingest({
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
  workspace = new WorkspacePage(env.page)
  await workspace.open(env.host.url)
  await workspace.inboxRow('Maya Lindqvist').first().waitFor({ timeout: 30_000 })
})

afterAll(async () => {
  await env?.close()
})

describe('agent workspace flows', () => {
  it('lists views with counts and unread markers, and narrows by channel', async () => {
    // Maya's SMS came within 72 hours of her email, so it joined that conversation: three, not four.
    expect(ingested.sms.conversationId).toBe(ingested.email.conversationId)
    expect(await workspace.inboxCount()).toBe(3)
    // Never opened and waiting for an answer: unread.
    expect(await workspace.inboxRow('Oskar Nilsson').getAttribute('data-unread')).toBe('true')
    await workspace.showView('Chat')
    expect(await workspace.inboxCount()).toBe(1)
    await expect.poll(() => workspace.inbox.getByRole('option').allInnerTexts()).toEqual([expect.stringContaining('Oskar Nilsson')])
    await workspace.showView('All conversations')
    await workspace.openCustomer('Oskar Nilsson')
    await expect.poll(() => workspace.inboxRow('Oskar Nilsson').getAttribute('data-unread')).toBe('false')
  })

  it('keyboard only: from the inbox to a reply, an assignment and resolved', async () => {
    const page = env.page
    await page.locator('body').click({ position: { x: 700, y: 5 } })
    // g i focuses the inbox; j/k move through it.
    await page.keyboard.press('g')
    await page.keyboard.press('i')
    await expect.poll(() => workspace.focusedLabel()).toBe('Conversations')
    await page.keyboard.press('Home')
    for (let i = 0; i < 4 && !(await workspace.isOpen('Oskar Nilsson')); i++) await page.keyboard.press('j')
    expect(await workspace.isOpen('Oskar Nilsson')).toBe(true)

    await page.keyboard.press('?')
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' })
    await help.waitFor()
    expect(await help.innerText()).toMatch(/Resolve/)
    await page.keyboard.press('Escape')
    await help.waitFor({ state: 'detached' })

    // Wait for what an agent waits for: the conversation's composer on screen.
    await page.getByRole('textbox', { name: 'Reply to the customer' }).waitFor()
    await page.keyboard.press('r')
    await expect.poll(() => workspace.focusedLabel()).toBe('Reply to the customer')
    const text = 'Yes, we ship the Aurora lamp to Norway in 3–5 days.'
    await page.keyboard.type(text)
    await page.keyboard.press('Control+Enter')
    await workspace.message(text).waitFor({ timeout: 5_000 })
    await page.keyboard.press('Escape')

    await page.keyboard.press('a')
    await page.getByRole('dialog', { name: 'Assign conversation' }).waitFor()
    await page.keyboard.type('priya')
    await page.keyboard.press('Enter')
    await page.getByRole('button', { name: /Assignee: Priya Shah/ }).waitFor()

    await page.keyboard.press('e')
    await expect.poll(() => workspace.conversationStatus()).toBe('Resolved')
    await expect
      .poll(() => serverConversation(ingested.chat.conversationId), { timeout: 20_000 })
      .toMatchObject({ status: 'resolved', assigneeId: expect.any(String) })
    const messages = await serverMessages(ingested.chat.conversationId)
    expect(messages.filter((m) => m.text === text)).toHaveLength(1)
  })

  it('the command palette jumps to a customer', async () => {
    await workspace.openPalette()
    await env.page.keyboard.type('jonas')
    // Enter picks the highlighted result, so wait until the highlight is on her, as an agent would.
    const highlighted = env.page.getByRole('dialog', { name: 'Command palette' }).getByRole('option', { selected: true })
    await expect.poll(() => highlighted.innerText()).toMatch(/Jonas\s+Berg/)
    await env.page.keyboard.press('Enter')
    await workspace.customerTitle.filter({ hasText: 'Jonas Berg' }).waitFor()
  })

  it('searches the cache while the server is down, and queues a reply that goes out once when it is back', async () => {
    await env.stopServer()
    await expect.poll(() => workspace.syncStatus(), { timeout: 20_000 }).toBe('Offline')

    // Two letters find only that whole word, and the empty result says so.
    await workspace.searchBox.fill('cr')
    await env.page.getByText(/matches “cr”\. Words shorter than 3 letters find only that whole word\./).waitFor({ timeout: 10_000 })
    await workspace.search('cracked')
    await expect.poll(() => workspace.searchHits(), { timeout: 10_000 }).toEqual([expect.stringMatching(/Maya Lindqvist[\s\S]*cracked shade/)])
    expect(await workspace.searchResults.locator('mark').allInnerTexts()).toContain('cracked')
    await workspace.searchResults.getByRole('option').first().click()
    await workspace.customerTitle.filter({ hasText: 'Maya Lindqvist' }).waitFor()
    await workspace.clearSearch()

    const text = 'Hi Maya, a new shade left our warehouse this morning.'
    await workspace.reply(text)
    await workspace.message(text).waitFor()
    expect(await workspace.deliveryState(text)).toBe('Waiting to sync')
    expect(await env.page.getByTestId('sync-banner').innerText()).toMatch(/1 action will be sent/)

    await env.startServer()
    await expect.poll(() => workspace.deliveryState(text), { timeout: 40_000 }).toBe('Delivered')
    // The search hit opened her conversation, where she last wrote by SMS, so the reply went out by SMS inside it.
    const delivered = (await serverMessages(ingested.email.conversationId)).filter((m) => m.text === text)
    expect(delivered).toHaveLength(1)
    expect(delivered[0]).toMatchObject({ direction: 'outbound', channel: 'sms', deliveryStatus: 'delivered' })
  })
})
