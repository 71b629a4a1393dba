import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { DateTime } from 'luxon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { IngestResult } from '../../src/shared/ingest'
import { ReportsPage } from './pages/reports-page'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/**
 * A supervisor reads the week's report: the figures for three emails (two answered, one of them
 * resolved), the conversations behind a figure, their CSV in Downloads, one opened in the
 * workspace, the figures following a new email, and "as of" once the server is gone.
 */

const MINUTE = 60_000
const HOUR = 60 * MINUTE
let env: E2eEnvironment
let reports: ReportsPage
let workspace: WorkspacePage
let downloads: string
let timeZone: string
const cspViolations: string[] = []
const seeded: Record<'maya' | 'jonas' | 'aiko', IngestResult & { sentAt: number }> = {} as never

const email = (n: number, address: string, name: string, subject: string, sentAt: number) => ({
  channel: 'email' as const,
  inbox: 'support@example.test',
  externalId: `<report-${n}@mail.example.test>`,
  from: { kind: 'email' as const, address, name },
  subject,
  text: `${subject}. Could you help?`,
  sentAt,
})

beforeAll(async () => {
  env = await startEnvironment({
    async seed(server) {
      const supervisor = await server.createUser({ name: 'Sam Okafor', email: 'sam@example.test', role: 'supervisor', inboxes: null })
      const rosa = await server.createUser({ name: 'Rosa Diaz', email: 'rosa@example.test', role: 'agent', team: 'Support', inboxes: null })
      const now = Date.now()
      const ingest = async (key: keyof typeof seeded, n: number, address: string, name: string, subject: string, sentAt: number) => {
        seeded[key] = { ...(await server.ingest(email(n, address, name, subject, sentAt))), sentAt }
      }
      await ingest('maya', 1, 'maya@example.test', 'Maya Lindqvist', 'Order 4411 arrived damaged', now - 5 * HOUR)
      await ingest('jonas', 2, 'jonas@example.test', 'Jonas Berg', 'Invoice for March', now - 4 * HOUR)
      await ingest('aiko', 3, 'aiko@example.test', 'Aiko Tanaka', 'Change my address', now - 3 * HOUR)
      const act = (name: 'reply' | 'setStatus', args: Record<string, unknown>, at: number) =>
        server.applyMutation(rosa, { name, args } as Parameters<typeof server.applyMutation>[1], undefined, { at })
      // Maya answered in 10 minutes and resolved at 40, Jonas answered in 30, Aiko still waiting.
      await act('reply', { messageId: 'reply-maya', conversationId: seeded.maya.conversationId, text: 'A new lamp is on its way.' }, seeded.maya.sentAt + 10 * MINUTE)
      await act('reply', { messageId: 'reply-jonas', conversationId: seeded.jonas.conversationId, text: 'Attached, sorry for the wait.' }, seeded.jonas.sentAt + 30 * MINUTE)
      await act('setStatus', { conversationId: seeded.maya.conversationId, status: 'resolved' }, seeded.maya.sentAt + 40 * MINUTE)
      return supervisor
    },
  })
  downloads = join(env.dir, 'Downloads')
  // The core runs in this process (the browser host): it saves where the desktop app would be told to.
  process.env.THREADLINE_DOWNLOADS_DIR = downloads
  env.page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text())
  })
  reports = new ReportsPage(env.page)
  workspace = new WorkspacePage(env.page)
  await workspace.open(env.host.url)
  await workspace.inboxRow('Aiko Tanaka').first().waitFor({ timeout: 30_000 })
  timeZone = await env.page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)
}, 240_000)

afterAll(async () => {
  delete process.env.THREADLINE_DOWNLOADS_DIR
  await env?.close()
})

describe('the reports dashboard', () => {
  it("shows the week's figures for the seeded conversations, in the viewer's time zone", async () => {
    await reports.open()
    await reports.panel.getByText(`Times in ${timeZone}`).waitFor()
    expect(await reports.range.inputValue()).toBe('last7Days')

    expect(await reports.tileValue('Conversations created')).toBe('3')
    expect(await reports.tileValue('Resolved')).toBe('1')
    // Waits of 10 and 30 minutes: the median by nearest rank is the lower.
    expect(await reports.tileValue('First response time')).toBe('Median 10 min 90th percentile 30 min')
    expect(await reports.tileDetail('First response time')).toBe('2 measurements')
    expect(await reports.tileValue('Resolution time')).toBe('Median 40 min 90th percentile 40 min')
    expect(await reports.tileValue('First-contact resolution')).toBe('100%')
    expect(await reports.tileDetail('First-contact resolution')).toBe('1 of 1 resolved')
    expect(await reports.tileValue('Reopen rate')).toBe('0%')
    expect(await reports.tileValue('CSAT')).toBe('No answers')
    // No business hours set: the inbox is open around the clock.
    expect(await reports.tileValue('After hours')).toBe('0%')
    expect(await reports.tileDetail('After hours')).toBe('0 of 3 created')
    expect(await reports.tileValue('Channel switching')).toBe('0%')
    expect(await reports.tileDetail('Channel switching')).toBe('0 of 3 customers')

    await reports.setHours('Business hours')
    expect(await reports.tileValue('First response time')).toBe('Median 10 min 90th percentile 30 min')
    await reports.setHours('Calendar hours')

    expect((await reports.agentRow('Rosa Diaz').innerText()).replace(/\s+/g, ' ')).toMatch(/^Rosa Diaz \S+ 2 1 10 min 40 min none$/)
    await reports.panel.getByText('No conversation changed channel.').waitFor()

    // Both charts drew, and neither needed the page's policy loosened.
    await reports.panel.locator('.report-volume-chart canvas').waitFor()
    await reports.heatMap().locator('canvas').first().waitFor()
    expect(cspViolations).toEqual([])
  })

  it('lists exactly the conversations created, and saves them as CSV with their first-response times', async () => {
    const dialog = await reports.drill(reports.figure('Conversations created'), 'Conversations created')
    const rows = reports.rows(dialog)
    await expect.poll(() => rows.count()).toBe(3)
    const texts = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' '))
    expect(texts.map((t) => t.split(' Order')[0]!.split(' Invoice')[0]!.split(' Change')[0]).sort()).toEqual(['Aiko Tanaka', 'Jonas Berg', 'Maya Lindqvist'])
    expect(texts.find((t) => t.startsWith('Maya'))).toMatch(/Maya Lindqvist Order 4411 arrived damaged Resolved Email support@example.test .+ 10 min 40 min/)
    // Sorted by the core over the whole list, not just the page on screen.
    const sortByCustomer = dialog.getByRole('button', { name: 'Customer', exact: true })
    const firstNames = async () => (await rows.allInnerTexts()).map((t) => t.trim().split(/\s/)[0])
    await sortByCustomer.click()
    await expect.poll(firstNames).toEqual(['Aiko', 'Jonas', 'Maya'])
    await sortByCustomer.click()
    await expect.poll(firstNames).toEqual(['Maya', 'Jonas', 'Aiko'])

    const said = await reports.exportCsv(dialog)
    const files = readdirSync(downloads)
    expect(files).toHaveLength(1)
    expect(said).toBe(`Saved ${files[0]} in Downloads`)
    expect(files[0]).toMatch(/^threadline-report-created-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/)
    const [header, ...lines] = readFileSync(join(downloads, files[0]!), 'utf8').trimEnd().split('\r\n')
    const columns = header!.split(',')
    expect(columns).toContain(`created_at (${timeZone})`)
    const at = (name: string) => columns.indexOf(name)
    expect(lines).toHaveLength(3)
    const line = (key: keyof typeof seeded) => lines.find((l) => l.startsWith(`${seeded[key].conversationId},`))!.split(',')
    expect(line('maya')[at('first_response_calendar_ms')]).toBe(String(10 * MINUTE))
    expect(line('maya')[at('resolution_calendar_ms')]).toBe(String(40 * MINUTE))
    expect(line('jonas')[at('first_response_calendar_ms')]).toBe(String(30 * MINUTE))
    expect(line('aiko')[at('first_response_calendar_ms')]).toBe('')
    expect(line('maya')[at(`created_at (${timeZone})`)]).toBe(DateTime.fromMillis(seeded.maya.sentAt, { zone: timeZone }).toFormat('yyyy-MM-dd HH:mm:ss'))
    expect(line('maya')[at('customer_id')]).toBe(seeded.maya.customerId)
  })

  it('opens a conversation from the list in its customer’s timeline', async () => {
    const dialog = reports.page.getByRole('dialog', { name: 'Conversations created' })
    await dialog.getByRole('button', { name: 'Open Jonas Berg: Invoice for March' }).click()
    await reports.page.getByRole('region', { name: 'Dashboards' }).waitFor({ state: 'detached' })
    await workspace.customerTitle.filter({ hasText: 'Jonas Berg' }).waitFor()
  })

  it('opens the conversations of a heat-map cell and of a day on the volume chart', async () => {
    await reports.open()
    // Maya's email, in the cell of its weekday and hour in the viewer's zone.
    const created = DateTime.fromMillis(seeded.maya.sentAt, { zone: timeZone })
    const box = (await reports.heatMap().boundingBox())!
    // The grid's margins in HeatMapChart: 44 left, 12 right, 8 top, 52 bottom; Monday's row on top.
    await reports.page.mouse.click(box.x + 44 + ((created.hour + 0.5) * (box.width - 56)) / 24, box.y + 8 + ((created.weekday - 0.5) * (box.height - 60)) / 7)
    const cell = reports.page.getByRole('dialog', { name: new RegExp(`^${created.weekdayLong}, ${String(created.hour).padStart(2, '0')}:00`) })
    await expect.poll(() => reports.rows(cell).allInnerTexts()).toEqual([expect.stringMatching(/^Maya Lindqvist/)])
    await reports.page.keyboard.press('Escape')
    await cell.waitFor({ state: 'detached' })

    // The same cell from the keyboard, in the table under the chart.
    const table = await reports.chartTable('By weekday and hour, as a table')
    const button = table.getByRole('button', { name: new RegExp(`^${created.weekdayLong}, ${String(created.hour).padStart(2, '0')}:00.*: 1$`) })
    await button.focus()
    await reports.page.keyboard.press('Enter')
    await expect.poll(() => reports.rows(cell).allInnerTexts()).toEqual([expect.stringMatching(/^Maya Lindqvist/)])
    await reports.page.keyboard.press('Escape')
    await cell.waitFor({ state: 'detached' })

    // The bottom of the stack on the emails' day is email.
    const over = (await reports.panel.locator('.report-volume-chart .u-over').boundingBox())!
    // Last 7 days: today is the last of the seven.
    const today = DateTime.now().setZone(timeZone).startOf('day')
    const index = 6 - Math.round(today.diff(created.startOf('day'), 'days').days)
    await reports.page.mouse.click(over.x + ((index + 0.5) * over.width) / 7, over.y + over.height - 3)
    const day = reports.page.getByRole('dialog', { name: /^Email, / })
    await expect.poll(async () => (await reports.rows(day).allInnerTexts()).some((t) => t.startsWith('Maya Lindqvist'))).toBe(true)
    await day.getByRole('button', { name: 'Close' }).click()
  })

  it('filters by channel, and says so when nothing in the range matches', async () => {
    await reports.toggleFilter('Channel', 'SMS')
    await reports.panel.getByText('Nothing happened in this range with these filters').waitFor()
    expect(await reports.panel.getByRole('button', { name: 'Channel: SMS' }).getAttribute('aria-expanded')).toBe('false')
    await reports.toggleFilter('Channel', 'SMS')
    expect(await reports.tileValue('Conversations created')).toBe('3')
  })

  it('follows a new conversation as the cache syncs it', async () => {
    await env.server.ingest(email(4, 'lea@example.test', 'Lea Novak', 'Where is my refund', Date.now()))
    await expect.poll(() => reports.tileValue('Conversations created'), { timeout: 15_000 }).toBe('4')
  })

  it('says as of when the figures are from the last sync, with the server gone', async () => {
    await env.stopServer()
    const asOf = reports.panel.getByRole('status').filter({ hasText: /^As of / })
    await asOf.waitFor({ timeout: 20_000 })
    expect(await reports.tileValue('Conversations created')).toBe('4')
  })
})
