import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Conversation, Message } from '../../src/shared/domain'
import { api } from '../integration/server-fixtures'
import { eventually } from '../integration/support/eventually'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/**
 * An agent starts a conversation of its own with a customer who already has an open one: a new
 * email under a new subject, from the inbox they choose. The dialog refuses an email without a
 * subject; the command palette opens it too, and offline the start is queued and reaches the
 * server once it is back.
 */

const JONAS = { kind: 'email' as const, address: 'jonas.berg@customers.test', name: 'Jonas Berg' }

let env: E2eEnvironment
let workspace: WorkspacePage
let openConversationId = ''

beforeAll(async () => {
  env = await startEnvironment({
    server: {
      inboxes: [
        { name: 'Support email', channel: 'email', connector: { type: 'sandbox' } },
        { name: 'Orders email', channel: 'email', connector: { type: 'sandbox' } },
      ],
    },
    seed: async (server) => {
      const agent = await server.createUser({ name: 'Alex Morgan', email: 'alex@example.test', role: 'agent', team: 'Support' })
      const open = await server.ingest({
        channel: 'email',
        inbox: 'Support email',
        externalId: '<kettle-1@customers.test>',
        from: JONAS,
        subject: 'Kettle stopped working',
        text: 'My kettle no longer switches on.',
        sentAt: Date.now() - 3_600_000,
      })
      openConversationId = open.conversationId
      return agent
    },
  })
  workspace = new WorkspacePage(env.page)
  await workspace.open(env.host.url)
  await workspace.inboxRow('Jonas Berg').first().waitFor({ timeout: 60_000 })
  await workspace.openCustomer('Jonas Berg')
}, 240_000)

afterAll(async () => {
  await env?.close()
})

async function serverConversation(id: string): Promise<{ status: number; body: Conversation }> {
  const res = await api(env.server.url, 'GET', `/api/v1/conversations/${id}`, { token: env.agent.token })
  return { status: res.status, body: res.body as Conversation }
}

async function serverMessages(id: string): Promise<Message[]> {
  const res = await api(env.server.url, 'GET', `/api/v1/conversations/${id}/messages?limit=100`, { token: env.agent.token })
  expect(res.status).toBe(200)
  return res.body.items as Message[]
}

const dialog = () => env.page.getByRole('dialog', { name: 'New conversation with Jonas Berg' })
const picker = () => env.page.getByRole('combobox', { name: 'Conversation to act on' })

describe('a new conversation with a customer', () => {
  it('refuses an email without a subject, saying so', async () => {
    await expect.poll(() => picker().inputValue(), { timeout: 10_000 }).toBe(openConversationId)
    await env.page.getByRole('button', { name: 'New conversation' }).click()
    await dialog().waitFor()
    // Jonas has only written by email: SMS and WhatsApp are offered but cannot be picked.
    const channel = dialog().getByLabel('Channel')
    expect(await channel.inputValue()).toBe('email')
    expect(await channel.locator('option[value="sms"]').isDisabled()).toBe(true)
    expect(await channel.locator('option[value="sms"]').innerText()).toContain('No phone number on file')

    await dialog().getByLabel('Message').fill('Your new kettle is on its way.')
    await dialog().getByRole('button', { name: 'Send' }).click()
    expect(await dialog().getByRole('alert').innerText()).toBe('A new email conversation needs a subject.')
    expect(await dialog().getByLabel('Subject').getAttribute('aria-invalid')).toBe('true')
    expect(await picker().locator('option').count()).toBe(1)
  })

  it('starts "Your replacement kettle" as its own conversation, in the picker with its message and on the server', async () => {
    // Two email inboxes: the agent picks the one it goes out from; the customer's last one is preselected.
    const inbox = dialog().getByLabel('From inbox')
    expect(await inbox.inputValue()).toBe('Support email')
    await inbox.selectOption('Orders email')
    await dialog().getByLabel('Subject').fill('Your replacement kettle')
    await dialog().getByRole('button', { name: 'Send' }).click()
    await dialog().waitFor({ state: 'detached' })

    // The new conversation is the one on screen, beside the open one.
    await expect.poll(() => picker().inputValue(), { timeout: 10_000 }).not.toBe(openConversationId)
    const startedId = await picker().inputValue()
    expect(await picker().locator('option').allInnerTexts()).toEqual(['Email · Your replacement kettle (open)', 'Email · Kettle stopped working (open)'])
    const message = workspace.message('Your new kettle is on its way.')
    await message.waitFor({ timeout: 10_000 })
    expect(await message.getAttribute('data-conversation-id')).toBe(startedId)

    await eventually(async () => (await serverConversation(startedId)).status === 200, 'the new conversation on the server')
    expect((await serverConversation(startedId)).body).toMatchObject({ channel: 'email', inbox: 'Orders email', subject: 'Your replacement kettle', status: 'open', customerId: (await serverConversation(openConversationId)).body.customerId })
    expect((await serverMessages(startedId)).map((m) => [m.text, m.subject, m.direction])).toEqual([['Your new kettle is on its way.', 'Your replacement kettle', 'outbound']])
    expect((await serverMessages(openConversationId)).map((m) => m.text)).toEqual(['My kettle no longer switches on.'])
  })

  it('starts one from the command palette while offline, and the server has it once it is back', async () => {
    await env.stopServer()
    await workspace.openPalette()
    await env.page.keyboard.type('New conversation')
    await env.page.getByRole('dialog', { name: 'Command palette' }).getByRole('option', { name: /New conversation with this customer/ }).click()
    await dialog().waitFor()
    await dialog().getByLabel('Subject').fill('Descaling your kettle')
    await dialog().getByLabel('Message').fill('A spoon of citric acid once a month keeps it clean.')
    await dialog().getByRole('button', { name: 'Send' }).click()
    await dialog().waitFor({ state: 'detached' })

    await expect.poll(() => picker().locator('option:checked').innerText(), { timeout: 10_000 }).toBe('Email · Descaling your kettle (open)')
    const startedId = await picker().inputValue()
    await workspace.message('A spoon of citric acid once a month').waitFor({ timeout: 10_000 })

    await env.startServer()
    await eventually(
      async () => (await serverMessages(startedId).catch(() => [])).some((m) => m.text === 'A spoon of citric acid once a month keeps it clean.'),
      'the conversation started offline on the server',
      30_000,
    )
    expect((await serverConversation(startedId)).body).toMatchObject({ subject: 'Descaling your kettle', inbox: 'Orders email' })
  })
})
