import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { User } from '../../src/shared/domain'
import type { IngestResult } from '../../src/shared/ingest'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'
import { openSecondClient } from './support/second-client'

/**
 * Saved views in a real browser against a real sync server: an agent saves "Urgent and waiting"
 * shared with her team, sees it in the sidebar with its count and opens it on exactly the
 * conversations it matches; a teammate on another computer sees it too, and deleting it
 * removes it from both.
 */

const MINUTE = 60_000
let env: E2eEnvironment
let workspace: WorkspacePage
let priya: User
let priyaClient: Awaited<ReturnType<typeof openSecondClient>> | null = null

/** Who wrote, how long ago, and what the agent did with it. */
const CUSTOMERS = [
  { name: 'Ada Quinn', minutesAgo: 120, priority: 'urgent', resolved: false }, // urgent, waiting two hours: in the view
  { name: 'Ben Ruiz', minutesAgo: 10, priority: 'urgent', resolved: false }, // urgent, but waiting only ten minutes
  { name: 'Cleo Park', minutesAgo: 120, priority: 'normal', resolved: false }, // waiting long, not urgent
  { name: 'Dev Shah', minutesAgo: 120, priority: 'urgent', resolved: true }, // urgent, answered and resolved
] as const

const sidebarViews = (page: Page) => page.getByRole('list', { name: 'Saved views' })
const viewEntry = (page: Page, name: string) => sidebarViews(page).getByRole('button', { name: new RegExp(`^${name}`) })
const rowNames = () => workspace.inbox.getByRole('option').locator('.customer-name').allInnerTexts()

beforeAll(async () => {
  env = await startEnvironment({
    seed: async (server) => {
      const alex = await server.createUser({ name: 'Alex Morgan', email: 'alex@example.test', role: 'agent', team: 'Support' })
      priya = await server.createUser({ name: 'Priya Shah', email: 'priya@example.test', role: 'agent', team: 'Support' })
      const now = Date.now()
      for (const [i, c] of CUSTOMERS.entries()) {
        const result: IngestResult = await server.ingest({
          channel: 'email',
          inbox: 'support@example.test',
          externalId: `<view-${i}@mail.example.test>`,
          from: { kind: 'email', address: `${c.name.split(' ')[0]!.toLowerCase()}@customers.test`, name: c.name },
          subject: `Question ${i + 1}`,
          text: `Hello, this is ${c.name}.`,
          sentAt: now - c.minutesAgo * MINUTE,
        })
        const conversationId = result.conversationId
        if (c.priority !== 'normal') await server.applyMutation(alex, { name: 'setPriority', args: { conversationId, priority: c.priority } })
        if (c.resolved) await server.applyMutation(alex, { name: 'setStatus', args: { conversationId, status: 'resolved' } })
      }
      return alex
    },
  })
  workspace = new WorkspacePage(env.page)
  await workspace.open(env.host.url)
  await workspace.inboxRow('Cleo Park').first().waitFor({ timeout: 30_000 })
})

afterAll(async () => {
  await priyaClient?.close()
  await env?.close()
})

describe('saved views', () => {
  it('saves "Urgent and waiting" shared with the team, counts it in the sidebar and opens it on what it matches', async () => {
    const page = env.page
    await page.getByRole('button', { name: 'Save view…' }).click()
    const dialog = page.getByRole('dialog', { name: 'Save view' })
    await dialog.getByLabel('Name').fill('Urgent and waiting')
    await dialog.getByLabel('Share with my team').check()
    // The list showed open conversations: the dialog starts from that.
    expect(await dialog.getByRole('group', { name: 'Status' }).getByLabel('Open').isChecked()).toBe(true)
    await dialog.getByRole('group', { name: 'Priority' }).getByLabel('Urgent').check()
    await dialog.getByLabel('Waiting longer than, in minutes').fill('30')
    await dialog.getByRole('button', { name: 'Save view' }).click()
    await dialog.waitFor({ state: 'detached' })

    const entry = viewEntry(page, 'Urgent and waiting')
    await expect.poll(() => entry.locator('.nav-count').innerText().catch(() => '')).toBe('1')
    // Taken by the server: the pending mark goes.
    await expect.poll(() => entry.locator('.view-pending').count(), { timeout: 15_000 }).toBe(0)

    await entry.click()
    await page.locator('#inbox-title').filter({ hasText: 'Urgent and waiting' }).waitFor()
    await expect.poll(rowNames).toEqual(['Ada Quinn'])
    expect(await workspace.inboxCount()).toBe(1)

    // Back to the whole inbox (the view opened on every status, and the list stays on them): its filters no longer apply.
    await workspace.showView('All conversations')
    await expect.poll(async () => (await rowNames()).sort()).toEqual(['Ada Quinn', 'Ben Ruiz', 'Cleo Park', 'Dev Shah'])
  })

  it('a teammate sees the shared view with its count, and deleting it removes it for both', async () => {
    priyaClient = await openSecondClient(env, priya)
    const priyaPage = priyaClient.page
    const hers = viewEntry(priyaPage, 'Urgent and waiting')
    await expect.poll(() => hers.locator('.nav-count').innerText().catch(() => ''), { timeout: 30_000 }).toBe('1')
    // Not hers to change: no menu.
    expect(await priyaPage.getByRole('button', { name: 'More actions for view Urgent and waiting' }).count()).toBe(0)
    await hers.click()
    await expect.poll(() => priyaPage.getByRole('listbox', { name: 'Conversations' }).getByRole('option').locator('.customer-name').allInnerTexts()).toEqual([
      'Ada Quinn',
    ])

    const page = env.page
    await viewEntry(page, 'Urgent and waiting').click({ button: 'right' })
    const menu = page.getByRole('menu', { name: 'View Urgent and waiting' })
    await menu.getByRole('menuitem', { name: 'Delete view…' }).click()
    await menu.getByRole('menuitem', { name: 'Delete', exact: true }).click()
    await expect.poll(() => sidebarViews(page).getByRole('button').count()).toBe(0)
    await expect.poll(() => sidebarViews(priyaPage).getByRole('button').count(), { timeout: 15_000 }).toBe(0)
    // Priya had it open: her list goes back to the inbox.
    await expect.poll(() => priyaPage.locator('#inbox-title').innerText()).not.toBe('Urgent and waiting')
  })
})
