import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHost, type BrowserHost } from '../../src/host/host'
import type { Conversation } from '../../src/shared/domain'
import type { IngestResult } from '../../src/shared/ingest'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/**
 * What agents coming from other help desks expect of the inbox, in a real browser against a
 * real sync server: checking several conversations (click, shift-click) and resolving them in
 * one step with one undo, a priority set in the header and the list sorted by it, the compact
 * density remembered, and a teammate's @mention reaching the other agent's Mentions.
 */

const HOUR = 3_600_000
const CUSTOMERS = ['Ada Quinn', 'Ben Ruiz', 'Cleo Park', 'Dev Shah']
let env: E2eEnvironment
let workspace: WorkspacePage
let priyaId = ''
const conversations = new Map<string, string>()
let priyaHost: BrowserHost | null = null
let priyaPage: Page | null = null

async function serverConversation(id: string): Promise<Conversation> {
  const res = await fetch(`${env.server.url}/api/v1/conversations/${id}`, { headers: { authorization: `Bearer ${env.agent.token}` } })
  if (!res.ok) throw new Error(`GET conversation ${id}: ${res.status}`)
  return (await res.json()) as Conversation
}

const rowNames = () => workspace.inbox.getByRole('option').locator('.customer-name').allInnerTexts()

beforeAll(async () => {
  env = await startEnvironment({
    seed: async (server) => {
      const agent = await server.createUser({ name: 'Alex Morgan', email: 'alex@example.test', role: 'agent', team: 'Support' })
      priyaId = (await server.createUser({ name: 'Priya Shah', email: 'priya@example.test', role: 'agent', team: 'Support' })).id
      const now = Date.now()
      for (const [i, name] of CUSTOMERS.entries()) {
        const result: IngestResult = await server.ingest({
          channel: 'email',
          inbox: 'support@example.test',
          externalId: `<bulk-${i}@mail.example.test>`,
          from: { kind: 'email', address: `${name.split(' ')[0]!.toLowerCase()}@customers.test`, name },
          subject: `Question ${i + 1}`,
          text: `Hello, this is ${name} with a question.`,
          // Newest first in the list: Ada, Ben, Cleo, Dev.
          sentAt: now - (i + 1) * HOUR,
        })
        conversations.set(name, result.conversationId)
      }
      return agent
    },
  })
  workspace = new WorkspacePage(env.page)
  await workspace.open(env.host.url)
  await workspace.inboxRow('Dev Shah').first().waitFor({ timeout: 30_000 })
})

afterAll(async () => {
  await priyaPage?.close().catch(() => {})
  await priyaHost?.close().catch(() => {})
  await env?.close()
})

describe('inbox bulk actions, priority, density and mentions', () => {
  it('checks three conversations with a click and a shift-click, resolves them in one step, and one undo brings them back', async () => {
    expect(await rowNames()).toEqual(CUSTOMERS)
    await workspace.inboxRow('Ada Quinn').getByRole('checkbox').click()
    await workspace.inboxRow('Cleo Park').getByRole('checkbox').click({ modifiers: ['Shift'] })
    expect(await env.page.getByTestId('bulk-count').innerText()).toBe('3 selected')

    await env.page.getByRole('toolbar', { name: 'Actions on the selected conversations' }).getByRole('button', { name: 'Resolve' }).click()
    await expect.poll(rowNames).toEqual(['Dev Shah'])
    const done = env.page.locator('.bulk-done')
    expect(await done.innerText()).toContain('Resolved 3 conversations')
    await expect.poll(() => serverConversation(conversations.get('Ben Ruiz')!).then((c) => c.status), { timeout: 10_000 }).toBe('resolved')

    await done.getByRole('button', { name: 'Undo' }).click()
    await expect.poll(rowNames).toEqual(CUSTOMERS)
    for (const name of ['Ada Quinn', 'Ben Ruiz', 'Cleo Park']) {
      await expect.poll(() => serverConversation(conversations.get(name)!).then((c) => c.status), { timeout: 10_000 }).toBe('open')
    }
    expect(await env.page.getByTestId('bulk-count').count()).toBe(0)
  })

  it('x checks the focused row, and a bulk priority change shows on each row', async () => {
    await workspace.openCustomer('Ben Ruiz')
    await workspace.inbox.focus()
    await env.page.keyboard.press('x')
    expect(await env.page.getByTestId('bulk-count').innerText()).toBe('1 selected')
    await env.page.getByLabel('Set the priority of the selected conversations').selectOption('high')
    await expect.poll(() => workspace.inboxRow('Ben Ruiz').getByTestId('row-priority').innerText()).toBe('High')
  })

  it('sets a priority in the conversation header and sorts the inbox most urgent first', async () => {
    await workspace.openCustomer('Dev Shah')
    await env.page.getByRole('toolbar', { name: 'Conversation actions' }).getByLabel('Priority').selectOption('urgent')
    await expect.poll(() => workspace.inboxRow('Dev Shah').getByTestId('row-priority').innerText()).toBe('Urgent')
    await env.page.getByLabel('Sort conversations').selectOption('priority')
    await expect.poll(rowNames).toEqual(['Dev Shah', 'Ben Ruiz', 'Ada Quinn', 'Cleo Park'])
    await expect.poll(() => serverConversation(conversations.get('Dev Shah')!).then((c) => c.priority), { timeout: 10_000 }).toBe('urgent')
  })

  it('shows one line per conversation in the compact density, remembered after a reload', async () => {
    await env.page.getByRole('button', { name: 'Compact' }).click()
    await expect.poll(() => workspace.inbox.locator('.inbox-row.is-compact').count()).toBe(4)
    const height = await workspace.inboxRow('Ada Quinn').evaluate((el) => el.getBoundingClientRect().height)
    expect(height).toBeLessThan(40)
    await env.page.reload()
    await workspace.inboxRow('Ada Quinn').first().waitFor()
    expect(await env.page.getByRole('button', { name: 'Compact' }).getAttribute('aria-pressed')).toBe('true')
  })

  it('a note mentioning a teammate reaches their Mentions, counted until they open it', async () => {
    await workspace.openCustomer('Dev Shah')
    await env.page.getByRole('tab', { name: 'Internal note' }).click()
    const editor = env.page.getByRole('textbox', { name: 'Internal note' })
    await editor.click()
    await env.page.keyboard.type('Could you call them back, ')
    await env.page.keyboard.press('@')
    await env.page.getByRole('dialog', { name: 'Mention an agent' }).waitFor()
    await env.page.keyboard.type('pri')
    await env.page.keyboard.press('Enter')
    await env.page.keyboard.type('please?')
    await env.page.getByRole('button', { name: 'Add note' }).click()

    // Priya signs in on another computer of her own: another client core and browser page.
    const token = await env.server.createToken(priyaId)
    priyaHost = await startHost({
      core: { dataDir: join(env.dir, 'priya'), serverUrl: env.server.url, token },
      rendererDir: join(env.dir, 'out', 'renderer'),
      port: 0,
    })
    priyaPage = await env.browser.newPage({ viewport: { width: 1440, height: 900 } })
    await priyaPage.goto(priyaHost.url)
    const count = priyaPage.getByTestId('mentions-count')
    await expect.poll(() => count.innerText().catch(() => ''), { timeout: 30_000 }).toBe('1')

    await priyaPage.getByRole('navigation', { name: 'Inbox views' }).getByRole('button', { name: /Mentions/ }).click()
    const mention = priyaPage.getByRole('list', { name: 'Notes that mention you' }).getByRole('button').first()
    expect(await mention.innerText()).toContain('Alex Morgan: Could you call them back, @Priya Shah please?')
    await mention.click()
    await priyaPage.locator('.customer-title').filter({ hasText: 'Dev Shah' }).waitFor()
    // The conversation opens at the note.
    await priyaPage.getByTestId('timeline').locator('li[data-kind="note"]').filter({ hasText: '@Priya Shah please?' }).waitFor()
    await expect.poll(() => count.count()).toBe(0)
  })
})
