import { join } from 'node:path'
import { io } from 'socket.io-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer } from '../../src/server/server'
import { SOCKET_PATH } from '../../src/shared/sync'
import type { Customer } from '../../src/shared/domain'
import type { IngestResult } from '../../src/shared/ingest'
import { CustomerPanelPage } from './pages/customer-panel-page'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/**
 * The customer panel in a real browser against a real sync server: suggestion → merge with
 * preview → undo; then collision presence, desktop notifications and the offline banner.
 */

const HOUR = 3_600_000
const LONG_HISTORY = 12
let env: E2eEnvironment
let workspace: WorkspacePage
let panel: CustomerPanelPage
let emailCustomer: IngestResult
let chatCustomer: IngestResult

async function serverCustomer(id: string): Promise<Customer> {
  const res = await fetch(`${env.server.url}/api/v1/customers/${id}`, { headers: { authorization: `Bearer ${env.agent.token}` } })
  if (!res.ok) throw new Error(`GET customer ${id}: ${res.status} ${await res.text()}`)
  const body = (await res.json()) as Customer | { customer: Customer }
  return 'customer' in body ? body.customer : body
}

beforeAll(async () => {
  env = await startEnvironment({
    seed: async (server) => {
      const agent = await server.createUser({ name: 'Alex Morgan', email: 'alex@example.test', role: 'agent', team: 'Support' })
      const now = Date.now()
      emailCustomer = await server.ingest({
        channel: 'email',
        inbox: 'support@example.test',
        externalId: '<kettle-1@mail.example.test>',
        from: { kind: 'email', address: 'maya@example.test', name: 'Maya Lindqvist' },
        subject: 'Kettle stopped working',
        text: 'My kettle from order 5521 stopped heating.',
        sentAt: now - 5 * HOUR,
      })
      chatCustomer = await server.ingest({
        channel: 'chat',
        inbox: 'website',
        externalId: 'chat-1',
        threadKey: 'chat-session-1',
        from: { kind: 'chat', address: 'visitor-42', name: 'Maya L' },
        text: 'Hi, is anyone there about my kettle?',
        sentAt: now - 2 * HOUR,
      })
      // The visitor gives the email address that already belongs to Maya: a suggestion, never a silent merge.
      await server.ingest({
        channel: 'chat',
        inbox: 'website',
        externalId: 'chat-2',
        threadKey: 'chat-session-1',
        from: { kind: 'chat', address: 'visitor-42', name: 'Maya L' },
        alsoKnownAs: [{ kind: 'email', address: 'maya@example.test' }],
        text: 'My email is maya@example.test',
        sentAt: now - 2 * HOUR + 60_000,
      })
      // A long-standing customer: more conversations than the panel lists at first.
      for (let i = 0; i < LONG_HISTORY; i++) {
        await server.ingest({
          channel: 'email',
          inbox: 'support@example.test',
          externalId: `<order-${i}@mail.example.test>`,
          from: { kind: 'email', address: 'ravi@example.test', name: 'Ravi Kapoor' },
          subject: `Order ${7000 + i}`,
          text: `A question about order ${7000 + i}.`,
          sentAt: now - 48 * HOUR - i * HOUR,
        })
      }
      return agent
    },
  })
  workspace = new WorkspacePage(env.page)
  panel = new CustomerPanelPage(env.page)
  await workspace.open(env.host.url)
}, 240_000)

afterAll(async () => {
  await env?.close()
})

describe('customer panel', () => {
  it('merges a suggested duplicate after a preview, shows both histories, and undoes it', async () => {
    expect(chatCustomer.customerId).not.toBe(emailCustomer.customerId)
    await workspace.openCustomer('Maya L')
    await panel.root.waitFor()
    expect(await panel.identities()).toEqual([expect.stringContaining('visitor-42')])
    await panel.suggestion('Maya Lindqvist').waitFor()

    const preview = await panel.previewMergeWith('Maya Lindqvist')
    expect(preview).toContain('Maya Lindqvist will be merged into Maya L')
    expect(preview).toContain('1 identity: maya@example.test')
    expect(preview).toContain('1 conversation: Kettle stopped working')
    expect(preview).toContain('1 message, 0 notes, 0 calls')
    await panel.confirmMerge()

    // The timeline now holds both customers' history, in time order.
    await workspace.message('My kettle from order 5521 stopped heating.').waitFor()
    const texts = (await workspace.timelineTexts()).join('\n')
    expect(texts.indexOf('stopped heating')).toBeLessThan(texts.indexOf('is anyone there'))
    await expect.poll(() => panel.identities()).toHaveLength(2)
    await panel.mergeRecord().waitFor()
    expect((await serverCustomer(emailCustomer.customerId)).mergedInto).toBe(chatCustomer.customerId)

    await panel.undoMerge()
    await panel.mergeRecord().waitFor({ state: 'detached' })
    await workspace.message('My kettle from order 5521 stopped heating.').waitFor({ state: 'detached' })
    expect(await panel.identities()).toEqual([expect.stringContaining('visitor-42')])
    expect((await serverCustomer(emailCustomer.customerId)).mergedInto ?? null).toBeNull()
    await workspace.message('Hi, is anyone there about my kettle?').waitFor()
  })

  it('finds the other customer by search when there is no suggestion, previews, and cancels without a change', async () => {
    await panel.root.getByRole('button', { name: 'Merge…' }).first().click()
    const dialog = env.page.getByRole('dialog')
    await dialog.getByRole('searchbox').fill('Lindqvist')
    await dialog.getByRole('list', { name: 'Matching customers' }).getByRole('button', { name: /Maya Lindqvist/ }).click()
    await expect.poll(() => dialog.getByTestId('merge-preview').innerText()).toContain('Maya Lindqvist will be merged into Maya L')
    await dialog.getByRole('button', { name: 'Keep Maya Lindqvist instead' }).click()
    await expect.poll(() => dialog.getByTestId('merge-preview').innerText()).toContain('Maya L will be merged into Maya Lindqvist')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await dialog.waitFor({ state: 'detached' })
    expect((await serverCustomer(emailCustomer.customerId)).mergedInto ?? null).toBeNull()
  })

  it('adds a label to the customer', async () => {
    await panel.addLabel('vip')
    await panel.labels().getByText('vip').waitFor()
    await expect.poll(async () => (await serverCustomer(chatCustomer.customerId)).labels).toEqual(['vip'])
  })

  it('records a consent the customer withdrew on a call, with the agent and their note in the history', async () => {
    expect(await panel.consentValue('Marketing')).toBe('Not asked')
    await panel.recordConsent('Marketing', false, 'said so on a call')
    await expect.poll(() => panel.consentValue('Marketing')).toBe('No')
    const history = await panel.consentHistory()
    expect(history).toHaveLength(1)
    expect(history[0]).toContain('Marketing: No')
    expect(history[0]).toContain('Recorded by Alex Morgan')
    expect(history[0]).toContain('said so on a call')
    expect((await serverCustomer(chatCustomer.customerId)).consent).toEqual({ promotional: false })
  })

  it('lists the latest conversations of a long history first, and the rest on Show all', async () => {
    await workspace.openCustomer('Ravi Kapoor')
    try {
      const past = panel.root.getByRole('list', { name: 'Past conversations' }).getByRole('listitem')
      await expect.poll(() => past.count()).toBe(10)
      expect(await past.first().innerText()).toContain('Order 7000')
      await panel.root.getByRole('button', { name: `Show all ${LONG_HISTORY} conversations` }).click()
      await expect.poll(() => past.count()).toBe(LONG_HISTORY)
      expect(await past.last().innerText()).toContain(`Order ${7000 + LONG_HISTORY - 1}`)
      // Opening an old one from the list makes it the conversation the actions apply to.
      await past.last().getByRole('button').click()
      const picker = env.page.getByRole('combobox', { name: 'Conversation to act on' })
      await expect.poll(async () => (await picker.locator('option:checked').innerText()).trim()).toContain(`Order ${7000 + LONG_HISTORY - 1}`)
    } finally {
      // The tests below work in Maya's conversation.
      await workspace.openCustomer('Maya L')
    }
  })

  it('shows another agent viewing and typing in the open conversation', async () => {
    const sam = await env.server.createUser({ name: 'Sam Lee', email: 'sam@example.test', role: 'agent' })
    const socket = io(env.server.url, { path: SOCKET_PATH, auth: { token: await env.server.createToken(sam.id) }, transports: ['websocket'], reconnection: false })
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve())
        socket.once('connect_error', reject)
      })
      await socket.emitWithAck('viewing', { conversationId: chatCustomer.conversationId })
      const presence = env.page.getByTestId('presence')
      await expect.poll(() => presence.innerText()).toContain('Sam is viewing')
      await socket.emitWithAck('typing', { conversationId: chatCustomer.conversationId, typing: true })
      await expect.poll(() => presence.innerText()).toContain('Sam is typing…')
    } finally {
      socket.close()
    }
    await env.page.getByTestId('presence').waitFor({ state: 'detached' })
  })

  it('notifies one live message, summarizes a catch-up after going offline, and offers Retry now', async () => {
    for (const conversationId of [chatCustomer.conversationId, emailCustomer.conversationId]) {
      const result = await env.server.applyMutation((await env.server.findUserByEmail('alex@example.test'))!, {
        name: 'assign',
        args: { conversationId, assigneeId: env.agent.id },
      })
      expect(result.outcome).toBe('applied')
    }
    // A stand-in for the browser's Notification that records what the app shows.
    await env.page.addInitScript({
      content: `
        window.shownNotifications = []
        window.Notification = class {
          static permission = 'granted'
          static requestPermission() { return Promise.resolve('granted') }
          constructor(title, options) { window.shownNotifications.push({ title, body: options?.body }) }
          close() {}
        }`,
    })
    await env.page.reload()
    await workspace.inbox.waitFor()
    const shown = () => env.page.evaluate<{ title: string; body?: string }[]>('window.shownNotifications')

    await env.server.ingest({
      channel: 'chat',
      inbox: 'website',
      externalId: 'chat-3',
      threadKey: 'chat-session-1',
      from: { kind: 'chat', address: 'visitor-42', name: 'Maya L' },
      text: 'Still there?',
    })
    await expect.poll(shown).toEqual([{ title: 'Maya L', body: 'Still there?' }])

    await env.stopServer()
    const banner = env.page.getByTestId('sync-banner')
    await expect.poll(() => banner.innerText(), { timeout: 20_000 }).toMatch(/^Offline — showing what was synced/)
    await banner.getByRole('button', { name: 'Retry now' }).waitFor()

    // While this client is offline, three messages reach the server's database in two of Alex's conversations.
    const meanwhile = await startServer({ dbPath: join(env.dir, 'server.sqlite'), outbound: 'sandbox', port: 0, host: '127.0.0.1' })
    await meanwhile.ingest({ channel: 'chat', inbox: 'website', externalId: 'chat-4', threadKey: 'chat-session-1', from: { kind: 'chat', address: 'visitor-42' }, text: 'Hello?' })
    await meanwhile.ingest({ channel: 'chat', inbox: 'website', externalId: 'chat-5', threadKey: 'chat-session-1', from: { kind: 'chat', address: 'visitor-42' }, text: 'Anyone?' })
    await meanwhile.ingest({
      channel: 'email',
      inbox: 'support@example.test',
      externalId: '<kettle-2@mail.example.test>',
      inReplyTo: '<kettle-1@mail.example.test>',
      from: { kind: 'email', address: 'maya@example.test', name: 'Maya Lindqvist' },
      subject: 'Re: Kettle stopped working',
      text: 'Any update on the kettle?',
    })
    await meanwhile.close()

    await env.startServer()
    // Retry now reconnects at once; the client's own retry may get there first now that the
    // server is back, and then the banner (and the button) are gone before the click.
    const retried = banner.getByRole('button', { name: 'Retry now' }).click({ timeout: 20_000 }).catch(() => undefined)
    await banner.waitFor({ state: 'detached', timeout: 20_000 })
    await retried
    await expect.poll(shown).toHaveLength(2)
    expect((await shown())[1]).toEqual({ title: '3 new messages in 2 conversations', body: 'From Maya L, Maya Lindqvist' })
  })
})
