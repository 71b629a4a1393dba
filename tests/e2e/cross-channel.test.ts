import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Message } from '../../src/shared/domain'
import { api } from '../integration/server-fixtures'
import { eventually } from '../integration/support/eventually'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/**
 * A conversation is the customer's matter on every channel. Maya texted ten days ago, then
 * called today; with the call's conversation on screen the agent answers by SMS and the reply
 * stays in it, her next SMS (posted to the real inbound endpoint) joins it with a "switched"
 * marker, and the agent splits that SMS out into a new conversation and undoes the split.
 */

const SMS_INBOX = '+15005550006'
const VOICE_INBOX = '+14155550100'
const MAYA = { kind: 'phone' as const, address: '+46701234567', name: 'Maya Lindqvist' }
const HOUR = 3_600_000

let env: E2eEnvironment
let workspace: WorkspacePage
let phoneConversationId = ''
let smsConversationId = ''
let integrationToken = ''

beforeAll(async () => {
  env = await startEnvironment({
    seed: async (server) => {
      const agent = await server.createUser({ name: 'Alex Morgan', email: 'alex@example.test', role: 'agent', team: 'Support' })
      const sms = await server.ingest({ channel: 'sms', inbox: SMS_INBOX, externalId: 'SM-cross-1', from: MAYA, text: 'Is my lamp shipped yet?', sentAt: Date.now() - 240 * HOUR })
      const call = await server.ingest({
        channel: 'voice',
        inbox: VOICE_INBOX,
        externalId: 'CA-cross-1',
        from: MAYA,
        text: '',
        call: { status: 'completed', outcome: 'answered', durationSeconds: 120 },
        sentAt: Date.now() - HOUR,
      })
      smsConversationId = sms.conversationId
      phoneConversationId = call.conversationId
      integrationToken = (await server.createIntegration({ name: 'SMS relay', inboxes: [SMS_INBOX] })).token
      return agent
    },
  })
  workspace = new WorkspacePage(env.page)
  await workspace.open(env.host.url)
  await workspace.inboxRow('Maya Lindqvist').first().waitFor({ timeout: 60_000 })
  await workspace.openCustomer('Maya Lindqvist')
}, 240_000)

afterAll(async () => {
  await env?.close()
})

async function serverMessages(conversationId: string): Promise<Message[]> {
  const res = await api(env.server.url, 'GET', `/api/v1/conversations/${conversationId}/messages?limit=100`, { token: env.agent.token })
  expect(res.status).toBe(200)
  return res.body.items as Message[]
}

describe('one conversation across channels', () => {
  it('answers by SMS inside the phone conversation on screen', async () => {
    expect(phoneConversationId).not.toBe(smsConversationId)
    const picker = env.page.getByRole('combobox', { name: 'Conversation to act on' })
    await expect.poll(() => picker.inputValue(), { timeout: 10_000 }).toBe(phoneConversationId)

    const channels = env.page.getByRole('radiogroup', { name: 'Reply channel' })
    await channels.locator('label[data-channel="sms"]').getByRole('radio').check()
    await workspace.reply('Your lamp ships tomorrow morning.')

    const reply = workspace.message('Your lamp ships tomorrow morning.')
    await reply.waitFor({ timeout: 10_000 })
    expect(await reply.getAttribute('data-conversation-id')).toBe(phoneConversationId)
    expect(await reply.getAttribute('data-channel')).toBe('sms')
    expect(await reply.locator('.channel-name').innerText()).toBe('SMS')
    await eventually(
      async () => (await serverMessages(phoneConversationId)).some((m) => m.text === 'Your lamp ships tomorrow morning.' && m.channel === 'sms'),
      'the SMS reply in the phone conversation on the server',
    )
    expect((await serverMessages(smsConversationId)).map((m) => m.text)).toEqual(['Is my lamp shipped yet?'])
  })

  it("takes the customer's next SMS into the same conversation, marked as a channel switch", async () => {
    const posted = await api(env.server.url, 'POST', '/api/v1/inbound', {
      token: integrationToken,
      body: { channel: 'sms', inbox: SMS_INBOX, externalId: 'SM-cross-2', from: { kind: 'phone', address: MAYA.address }, text: 'Great, thanks! Can it come before noon?' },
    })
    expect(posted.status, JSON.stringify(posted.body)).toBe(201)
    expect(posted.body.conversationId).toBe(phoneConversationId)

    const inbound = workspace.message('Can it come before noon?')
    await inbound.waitFor({ timeout: 15_000 })
    expect(await inbound.getAttribute('data-conversation-id')).toBe(phoneConversationId)
    const marker = env.page.locator(`li[data-event-type="channel_switched"][data-conversation-id="${phoneConversationId}"]`)
    await marker.waitFor({ timeout: 10_000 })
    expect(await marker.innerText()).toMatch(/^Switched from phone to SMS/)
  })

  it('splits a message into a new conversation, and Undo brings it back', async () => {
    const inbound = workspace.message('Can it come before noon?')
    await env.page.getByRole('button', { name: 'Select messages' }).click()
    await inbound.getByRole('checkbox', { name: 'Select this message to move it' }).check()
    const selection = env.page.getByRole('toolbar', { name: 'Selected messages' })
    expect(await selection.innerText()).toContain('1 message selected')
    await selection.getByRole('button', { name: 'Split into new conversation' }).click()

    const toast = env.page.getByTestId('move-toast')
    await toast.waitFor({ timeout: 10_000 })
    expect(await toast.innerText()).toContain('Split 1 message into a new conversation')
    await expect.poll(() => inbound.getAttribute('data-conversation-id'), { timeout: 10_000 }).not.toBe(phoneConversationId)
    const splitId = (await inbound.getAttribute('data-conversation-id')) ?? ''
    // The new conversation is the one on screen now, and says which one it continues.
    const picker = env.page.getByRole('combobox', { name: 'Conversation to act on' })
    await expect.poll(() => picker.inputValue(), { timeout: 10_000 }).toBe(splitId)
    await env.page.locator(`li[data-row="thread"][data-conversation-id="${splitId}"]`).getByTestId('thread-continues').first().waitFor({ timeout: 10_000 })
    await eventually(async () => (await serverMessages(splitId)).some((m) => m.externalId === 'SM-cross-2'), 'the split on the server')
    const split = env.page.locator(`li[data-event-type="items_moved"][data-conversation-id="${phoneConversationId}"]`)
    await expect.poll(() => split.allInnerTexts(), { timeout: 10_000 }).toContainEqual(expect.stringMatching(/^Split 1 message into a new conversation/))

    await toast.getByRole('button', { name: 'Undo' }).click()
    await expect.poll(() => inbound.getAttribute('data-conversation-id'), { timeout: 10_000 }).toBe(phoneConversationId)
    await expect.poll(() => picker.inputValue(), { timeout: 10_000 }).toBe(phoneConversationId)
    await eventually(async () => (await serverMessages(phoneConversationId)).some((m) => m.externalId === 'SM-cross-2'), 'the undone split on the server')
    expect(await serverMessages(splitId)).toEqual([])
    await env.page.getByText(/^Moved back \(undone\)/).first().waitFor({ timeout: 10_000 })
  })

  it('moves a message to another of her conversations while offline, and the server takes the move on reconnecting', async () => {
    await env.stopServer()
    const reply = workspace.message('Your lamp ships tomorrow morning.')
    await reply.getByRole('checkbox', { name: 'Select this message to move it' }).check()
    const selection = env.page.getByRole('toolbar', { name: 'Selected messages' })
    await selection.getByRole('combobox', { name: 'Move to…' }).selectOption(smsConversationId)
    await expect.poll(() => reply.getAttribute('data-conversation-id'), { timeout: 10_000 }).toBe(smsConversationId)
    expect(await env.page.getByTestId('move-toast').innerText()).toMatch(/Moved 1 message to SMS/)

    await env.startServer()
    await eventually(async () => (await serverMessages(smsConversationId)).some((m) => m.text === 'Your lamp ships tomorrow morning.'), 'the move on the server', 30_000)
    expect((await serverMessages(phoneConversationId)).map((m) => m.text)).not.toContain('Your lamp ships tomorrow morning.')
  })
})
