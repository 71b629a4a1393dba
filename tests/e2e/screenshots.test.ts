import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { DateTime } from 'luxon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bankHolidays } from '../../src/server/demo/hours'
import { demoServerConfig } from '../../src/server/demo/inboxes'
import { seedDemo } from '../../src/server/demo/seed'
import { AdminPage } from './pages/admin-page'
import { DashboardsPage } from './pages/dashboards-page'
import { ReportsPage } from './pages/reports-page'
import { SignInPage } from './pages/sign-in-page'
import { SummaryCardPage } from './pages/summary-card-page'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/**
 * The README's screenshots, taken from the real app on the demo dataset. They are written to
 * docs/screenshots/ only when THREADLINE_SCREENSHOTS=docs, so an ordinary test run changes
 * no tracked file; otherwise they land in the test's temp folder and are only checked.
 */

let env: E2eEnvironment
let outDir: string
let agent: { name: string; email: string }

beforeAll(async () => {
  env = await startEnvironment({
    // The server writes the demo customers' stories within moments, so the pictures show its versions.
    // The demo's inboxes, with their business hours, as `npm start` configures them.
    server: { summaryDebounceMs: 300, summaryMaxWaitMs: 2_000, ...demoServerConfig('https://threadline.example.test') },
    seed: async (server) => {
      const summary = await seedDemo(server, { seed: 7, customers: 120, now: lastWorkingMoment() })
      const user = await server.findUserByEmail(summary.agentEmail)
      if (!user) throw new Error('the demo agent is missing')
      agent = user
      return user
    },
  })
  outDir = process.env.THREADLINE_SCREENSHOTS === 'docs' ? resolve(import.meta.dirname, '../../docs/screenshots') : join(env.dir, 'shots')
  mkdirSync(outDir, { recursive: true })
})

/**
 * When the demo's history ends: now during London office hours on a working day, else the last
 * working afternoon. Seeded up to a Saturday night, the demo's queues are nearly empty, and the
 * pictures would show a team at rest.
 */
function lastWorkingMoment(): number {
  const now = DateTime.now().setZone('Europe/London')
  const working = (day: DateTime): boolean => day.weekday <= 5 && !bankHolidays(day.year).includes(day.toISODate() ?? '')
  if (working(now) && now.hour >= 10 && now.hour < 17) return now.toMillis()
  let day = (now.hour >= 17 ? now : now.minus({ days: 1 })).set({ hour: 16, minute: 0, second: 0, millisecond: 0 })
  while (!working(day)) day = day.minus({ days: 1 })
  return day.toMillis()
}

/** Waits for the open customer's summary card to show the server's story (not one this device wrote meanwhile). */
async function serverStory(): Promise<void> {
  const card = new SummaryCardPage(env.page)
  await card.root.waitFor({ timeout: 15_000 })
  await card.source.waitFor({ timeout: 30_000 })
  await card.onDevice.waitFor({ state: 'detached', timeout: 30_000 })
  await env.page.waitForTimeout(400)
}

afterAll(async () => {
  await env?.close()
})

describe('screenshots of the workspace on demo data', () => {
  it('the inbox', async () => {
    const workspace = new WorkspacePage(env.page)
    await workspace.open(env.host.url)
    await workspace.inbox.getByRole('option').first().waitFor({ timeout: 30_000 })
    await workspace.showView('Assigned to me')
    await workspace.inbox.getByRole('option').first().click()
    await workspace.customerTitle.waitFor()
    await serverStory()
    await env.page.screenshot({ path: join(outDir, 'inbox.png') })
    expect(await workspace.inbox.getByRole('option').count()).toBeGreaterThan(3)
  })

  it('a customer timeline across channels, and the composer', async () => {
    const workspace = new WorkspacePage(env.page)
    await workspace.showView('SMS')
    await workspace.inbox.getByRole('option').first().click()
    await workspace.customerTitle.waitFor()
    await serverStory()
    await env.page.screenshot({ path: join(outDir, 'timeline.png') })
    expect(await workspace.timelineTexts()).not.toEqual([])

    await env.page.keyboard.press('r')
    await env.page.keyboard.type('Hi! Your replacement ships today, tracking follows by email. Reply STOP to opt out of updates.')
    await env.page.getByTestId('sms-segments').waitFor()
    await env.page.screenshot({ path: join(outDir, 'composer.png') })
    expect(await env.page.getByTestId('sms-segments').innerText()).toMatch(/^1 SMS · \d+ left$/)
    await env.page.keyboard.press('Escape')
  })

  it('search with highlighted snippets', async () => {
    const workspace = new WorkspacePage(env.page)
    await workspace.search('refund')
    await workspace.searchResults.getByRole('option').first().waitFor()
    await workspace.searchResults.getByRole('option').nth(1).click()
    await workspace.customerTitle.waitFor()
    await env.page.waitForTimeout(300)
    await env.page.screenshot({ path: join(outDir, 'search.png') })
    expect(await workspace.searchResults.locator('mark').count()).toBeGreaterThan(0)
    await workspace.clearSearch()
  })

  it('the command palette', async () => {
    const workspace = new WorkspacePage(env.page)
    await workspace.openPalette()
    await env.page.keyboard.type('res')
    await env.page.getByRole('dialog', { name: 'Command palette' }).getByRole('option').nth(2).waitFor()
    await env.page.waitForTimeout(300)
    await env.page.screenshot({ path: join(outDir, 'palette.png') })
    await env.page.keyboard.press('Escape')
  })

  // Last: signing out revokes the session the other screenshots use.
  it('the sign-in screen, after signing out', async () => {
    const signIn = new SignInPage(env.page)
    await signIn.signOutFromAccountMenu(agent.name)
    await signIn.form.waitFor()
    expect(await signIn.email.inputValue()).toBe(agent.email)
    await env.page.screenshot({ path: join(outDir, 'sign-in.png') })
  })

  it('the administration screen, signed in as the demo admin', async () => {
    const dana = await env.server.findUserByEmail('dana@threadline.demo')
    if (!dana || dana.role !== 'admin') throw new Error('the demo has no admin')
    await env.server.setPassword(dana.id, 'threadline-demo')
    const signIn = new SignInPage(env.page)
    await signIn.email.fill(dana.email)
    await signIn.signIn({ password: 'threadline-demo' })
    const admin = new AdminPage(env.page)
    const menu = admin.menuItem(dana.name)
    await menu.open()
    await menu.item.click()
    await admin.row('alex@threadline.demo').waitFor()
    await env.page.waitForTimeout(300)
    await env.page.screenshot({ path: join(outDir, 'admin.png') })
    expect(await admin.users.locator('tr[data-user]').count()).toBeGreaterThanOrEqual(6)
  })

  it("the dashboards' Live tab, signed in as the demo admin", async () => {
    const dashboards = new DashboardsPage(env.page)
    await dashboards.open()
    await expect.poll(() => dashboards.total('Open')).toBeGreaterThan(5)
    await dashboards.screen.getByRole('table', { name: 'Waiting longest' }).waitFor()
    await dashboards.screen.locator('[data-agent]').first().waitFor()
    await env.page.waitForTimeout(400)
    await env.page.screenshot({ path: join(outDir, 'dashboards-live.png') })
    expect(await dashboards.total('Waiting now')).toBeGreaterThan(0)
  })

  it("the dashboards' Reports tab on the demo's last seven days, signed in as the demo admin", async () => {
    const reports = new ReportsPage(env.page)
    await reports.open()
    await reports.panel.locator('.report-volume-chart canvas').waitFor()
    await reports.heatMap().locator('canvas').first().waitFor()
    await env.page.waitForTimeout(400)
    await env.page.screenshot({ path: join(outDir, 'dashboards-reports.png') })
    expect(Number(await reports.tileValue('Conversations created'))).toBeGreaterThan(10)
  })
})
