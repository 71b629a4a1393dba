import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { IngestResult } from '../../src/shared/ingest'
import { DashboardsPage } from './pages/dashboards-page'
import { SignInPage } from './pages/sign-in-page'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/**
 * A supervisor watches the live queues: the numbers follow what the server takes in, a number
 * opens the conversations behind it, and one of those opens in the workspace. An agent has no
 * way in.
 */

const MINUTE = 60_000
const PASSWORD = 'quiet-harbour-2207'
let env: E2eEnvironment
let dashboards: DashboardsPage
let workspace: WorkspacePage
/** Pedro's chat, the conversation opened from the dashboard. */
let pedro: IngestResult

beforeAll(async () => {
  env = await startEnvironment({
    // Half an hour to answer, around the clock: Ingrid's wait has passed it, Pedro's is within the hour of it.
    server: { slaPolicies: [{ name: 'Standard', firstResponseMinutes: 30, resolutionMinutes: 24 * 60 }], slaCheckMs: 200 },
    async seed(server) {
      const supervisor = await server.createUser({ name: 'Sam Okafor', email: 'sam@example.test', role: 'supervisor', team: 'Support', inboxes: null })
      await server.setPassword(supervisor.id, PASSWORD)
      const agent = await server.createUser({ name: 'Rosa Diaz', email: 'rosa@example.test', role: 'agent', team: 'Support', inboxes: null })
      await server.setPassword(agent.id, PASSWORD)
      const now = Date.now()
      // Ingrid has waited 40 minutes by email, Pedro 12 on the website's chat.
      await server.ingest({
        channel: 'email',
        inbox: 'help@example.test',
        externalId: '<order-5120@shop.example.test>',
        from: { kind: 'email', address: 'ingrid.holm@example.test', name: 'Ingrid Holm' },
        subject: 'Order #5120 is missing a part',
        text: 'The desk in order #5120 came without its left leg bracket.',
        sentAt: now - 40 * MINUTE,
      })
      pedro = await server.ingest({
        channel: 'chat',
        inbox: 'website',
        externalId: 'chat-msg-310',
        threadKey: 'chat-session-310',
        from: { kind: 'chat', address: 'visitor-4c2e', name: 'Pedro Alves' },
        text: 'Is the Nova desk lamp dimmable?',
        sentAt: now - 12 * MINUTE,
      })
      return supervisor
    },
  })
  dashboards = new DashboardsPage(env.page)
  workspace = new WorkspacePage(env.page)
  await workspace.open(env.host.url)
  await workspace.inboxRow('Ingrid Holm').first().waitFor({ timeout: 30_000 })
}, 180_000)

afterAll(async () => {
  await env?.close()
})

describe('the live dashboard', () => {
  it('is not in the code every agent loads at start', () => {
    const html = readFileSync(join(env.dir, 'out/renderer/index.html'), 'utf8')
    const entry = /<script type="module"[^>]*src="\.\/([^"]+)"/.exec(html)?.[1]
    if (!entry) throw new Error(`no entry script in:\n${html}`)
    expect(readFileSync(join(env.dir, 'out/renderer', entry), 'utf8')).not.toContain('Leave wallboard')
  })

  it('shows a supervisor the open and waiting counts, and follows a message the server takes in', async () => {
    await dashboards.open()
    await expect.poll(() => dashboards.total('Open')).toBe(2)
    expect(await dashboards.total('Waiting now')).toBe(2)
    expect(await dashboards.total('Unassigned')).toBe(2)
    expect(await dashboards.tile('Waiting now').textContent()).toMatch(/Longest 4[01] min/)

    await env.server.ingest({
      channel: 'email',
      inbox: 'help@example.test',
      externalId: '<refund-88@shop.example.test>',
      from: { kind: 'email', address: 'lena.vogel@example.test', name: 'Lena Vogel' },
      subject: 'Refund for a returned chair',
      text: 'I sent the chair back last week; when will the refund arrive?',
      sentAt: Date.now(),
    })
    await expect.poll(() => dashboards.total('Waiting now'), { timeout: 10_000 }).toBe(3)
    expect(await dashboards.total('Open')).toBe(3)
    const byChannel = dashboards.screen.getByRole('table', { name: 'By channel' })
    await expect.poll(() => byChannel.getByRole('button', { name: 'Email: 2 waiting now' }).count()).toBe(1)
  })

  it('lists the conversations behind the waiting number, and opens one in its customer’s timeline', async () => {
    const waiting = await dashboards.drill('Waiting now')
    const rows = dashboards.conversationRows(waiting)
    await expect.poll(() => rows.count()).toBe(3)
    // Longest waiting first: Ingrid, then Pedro, then Lena who just wrote.
    expect(await rows.nth(0).innerText()).toMatch(/Ingrid Holm\s+Order #5120 is missing a part\s+Email\s+help@example.test\s+4[01] min/)
    expect(await rows.nth(1).innerText()).toMatch(/Pedro Alves\s+—\s+Chat\s+website\s+1[23] min/)
    expect(await rows.nth(2).innerText()).toMatch(/Lena Vogel\s+Refund for a returned chair/)

    await rows.nth(1).getByRole('button', { name: 'Pedro Alves' }).click()
    await dashboards.screen.waitFor({ state: 'detached' })
    await workspace.customerTitle.filter({ hasText: 'Pedro Alves' }).waitFor()
    await workspace.message('Is the Nova desk lamp dimmable?').waitFor()
    expect(await env.page.getByRole('combobox', { name: 'Conversation to act on' }).inputValue()).toBe(pedro.conversationId)
  })

  it('counts the conversations whose SLA is breached and those at risk within the hour, and lists them', async () => {
    await dashboards.open()
    // Ingrid waited 40 minutes for a 30-minute answer; Pedro and Lena are due within the half hour.
    await expect.poll(() => dashboards.total('SLA breached')).toBe(1)
    expect(await dashboards.total('SLA at risk')).toBe(2)
    const breached = await dashboards.drill('SLA breached')
    const rows = dashboards.conversationRows(breached)
    await expect.poll(() => rows.count()).toBe(1)
    expect(await rows.nth(0).innerText()).toMatch(/^Ingrid Holm/)
    await env.page.keyboard.press('Escape')
    await breached.waitFor({ state: 'detached' })
  })

  it('shows the Live tab as a wallboard, which Esc leaves', async () => {
    await env.page.keyboard.press('g')
    await env.page.keyboard.press('d')
    await dashboards.totals.waitFor()
    await dashboards.wallboardButton.click()
    await expect.poll(() => dashboards.wallboardMode()).toMatch(/^(fullscreen|window)$/)
    expect(await dashboards.total('Waiting now')).toBe(3)
    await env.page.keyboard.press('Escape')
    await expect.poll(() => dashboards.wallboardMode()).toBeNull()
    await dashboards.wallboardButton.waitFor()
  })

  it('says the numbers are as of the last sync while the server is out of reach', async () => {
    expect(await dashboards.asOf.innerText()).toBe('')
    await env.stopServer()
    await expect.poll(() => dashboards.asOf.innerText(), { timeout: 15_000 }).toMatch(/^As of \d{1,2}:\d{2}/)
    expect(await dashboards.total('Waiting now')).toBe(3)
    await env.startServer()
    await expect.poll(() => dashboards.asOf.innerText(), { timeout: 30_000 }).toBe('')
  })

  it('gives an agent no entry, no palette action and no shortcut', async () => {
    const signIn = new SignInPage(env.page)
    await signIn.signOutFromAccountMenu('Sam Okafor')
    await signIn.signIn({ email: 'rosa@example.test', password: PASSWORD })
    await workspace.inbox.waitFor()
    await workspace.inboxRow('Lena Vogel').first().waitFor({ timeout: 30_000 })
    expect(await dashboards.sidebarEntry.count()).toBe(0)

    await workspace.openPalette()
    await env.page.keyboard.type('Dashboards')
    const palette = env.page.getByRole('dialog', { name: 'Command palette' })
    expect(await palette.getByText('Go to Dashboards').count()).toBe(0)
    await env.page.keyboard.press('Escape')
    await palette.waitFor({ state: 'detached' })

    await workspace.inbox.focus()
    await env.page.keyboard.press('g')
    await env.page.keyboard.press('d')
    await env.page.keyboard.press('?')
    const shortcuts = env.page.getByRole('dialog', { name: 'Keyboard shortcuts' })
    await shortcuts.waitFor()
    expect(await shortcuts.getByText('Go to the dashboards').count()).toBe(0)
    await env.page.keyboard.press('Escape')
    expect(await dashboards.screen.count()).toBe(0)
    await workspace.inbox.waitFor()
  })
})
