import { existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api } from '../integration/server-fixtures'
import { SummaryCardPage } from './pages/summary-card-page'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/**
 * The customer's story above the timeline, written by the real server's embedded summarizer:
 * Maya's first email (order A-10422, a $49.99 refund) lies 110 texts back, beyond the latest
 * page, so its chip has to load the page at its time. A new SMS marks the story stale until the
 * server rewrites it; offline, Regenerate writes it on this device. The card's screenshot goes to
 * docs/screenshots/ only when THREADLINE_SCREENSHOTS=docs.
 */

const HOUR = 3_600_000
const SMS_INBOX = '+14155550100'
const MAYA_PHONE = '+46701234567'
const FILLER_TEXTS = 110

let env: E2eEnvironment
let workspace: WorkspacePage
let card: SummaryCardPage
let integrationToken = ''
let outDir = ''

beforeAll(async () => {
  env = await startEnvironment({
    // Stories follow new items within seconds here, so the test sees one being written and rewritten.
    server: { summaryDebounceMs: 3_000, summaryMaxWaitMs: 10_000 },
    seed: async (server) => {
      const agent = await server.createUser({ name: 'Alex Morgan', email: 'alex@example.test', role: 'agent', team: 'Support' })
      const now = Date.now()
      await server.ingest({
        channel: 'email',
        inbox: 'support@example.test',
        externalId: '<lamp-base-1@mail.example.test>',
        from: { kind: 'email', address: 'maya@example.test', name: 'Maya Lindqvist' },
        alsoKnownAs: [{ kind: 'phone', address: MAYA_PHONE }],
        subject: 'Cracked lamp base',
        text: 'Hello, my order A-10422 arrived with a cracked lamp base. I would like a refund of $49.99 please.',
        sentAt: now - 240 * HOUR,
      })
      for (let i = 0; i < FILLER_TEXTS; i++) {
        await server.ingest({
          channel: 'sms',
          inbox: SMS_INBOX,
          externalId: `SM-filler-${i}`,
          from: { kind: 'phone', address: MAYA_PHONE, name: 'Maya Lindqvist' },
          text: 'Thanks, noted.',
          sentAt: now - (230 - i) * HOUR,
        })
      }
      await server.ingest({
        channel: 'sms',
        inbox: SMS_INBOX,
        externalId: 'SM-latest',
        from: { kind: 'phone', address: MAYA_PHONE },
        text: 'The replacement has not arrived yet, can you check?',
        sentAt: now - HOUR,
      })
      await server.ingest({
        channel: 'sms',
        inbox: SMS_INBOX,
        externalId: 'SM-jonas-1',
        from: { kind: 'phone', address: '+46709876543', name: 'Jonas Berg' },
        text: 'Where is my parcel? It was due on Monday.',
        sentAt: now - 2 * HOUR,
      })
      integrationToken = (await server.createIntegration({ name: 'SMS relay', inboxes: [SMS_INBOX] })).token
      return agent
    },
  })
  outDir = process.env.THREADLINE_SCREENSHOTS === 'docs' ? resolve(import.meta.dirname, '../../docs/screenshots') : join(env.dir, 'shots')
  mkdirSync(outDir, { recursive: true })
  workspace = new WorkspacePage(env.page)
  card = new SummaryCardPage(env.page)
  await workspace.open(env.host.url)
  await workspace.inboxRow('Maya Lindqvist').first().waitFor({ timeout: 60_000 })
  await workspace.openCustomer('Maya Lindqvist')
  await workspace.message('The replacement has not arrived yet').waitFor({ timeout: 30_000 })
}, 240_000)

afterAll(async () => {
  await env?.close()
})

const scroller = () => env.page.getByTestId('timeline-scroller')
const firstEmail = () => workspace.message('cracked lamp base')

describe('the summary card', () => {
  it("shows the customer's story with its facts as chips, written by the server", async () => {
    await card.root.waitFor({ timeout: 15_000 })
    await card.expand()
    // Until the server's story arrives the core may show one it wrote from its cache: wait for the server's.
    await expect.poll(() => card.text.innerText(), { timeout: 30_000 }).toContain('A-10422')
    await card.onDevice.waitFor({ state: 'detached', timeout: 30_000 })
    expect(await card.text.innerText()).toContain('The replacement has not arrived yet')
    const chips = await card.chipTexts()
    expect(chips).toContain('A-10422')
    expect(chips).toContain('$49.99')
    expect(await card.chip('Reference', 'A-10422').getAttribute('title')).toBe('Reference: Hello, my order A-10422 arrived with a cracked lamp base.')
    expect(await card.source.innerText()).toBe('Embedded summarizer')
    expect(await card.asOf.innerText()).toMatch(/^as of \S/)
    expect(await card.stale.count()).toBe(0)

    await card.root.screenshot({ path: join(outDir, 'summary-card.png') })
    expect(existsSync(join(outDir, 'summary-card.png'))).toBe(true)
  })

  it('scrolls to the message a chip cites, loading its page, and marks it for a moment', async () => {
    // The email is 110 texts back: not in the latest page.
    expect(await firstEmail().count()).toBe(0)
    await card.chip('Reference', 'A-10422').click()

    const email = firstEmail()
    await email.waitFor({ timeout: 15_000 })
    await expect.poll(() => email.getAttribute('data-cited'), { timeout: 5_000 }).toBe('true')
    const inView = await email.evaluate((el) => {
      const box = el.closest('[data-testid="timeline-scroller"]')?.getBoundingClientRect()
      const row = el.getBoundingClientRect()
      return !!box && row.top >= box.top - 1 && row.bottom <= box.bottom + 1
    })
    expect(inView).toBe(true)
    await expect.poll(() => email.getAttribute('data-cited'), { timeout: 6_000 }).toBeNull()

    await env.page.getByRole('button', { name: 'Back to latest' }).click()
    await workspace.message('The replacement has not arrived yet').waitFor({ timeout: 10_000 })
    await scroller().evaluate((el) => el.scrollTo(0, el.scrollHeight))
  })

  it('keeps a thumbs-up pressed, also after opening another customer and coming back', async () => {
    await card.helpful.click()
    await expect.poll(() => card.helpful.getAttribute('aria-pressed')).toBe('true')
    await workspace.openCustomer('Jonas Berg')
    await expect.poll(() => card.text.innerText(), { timeout: 30_000 }).toContain('parcel')
    await workspace.openCustomer('Maya Lindqvist')
    await card.expand()
    await expect.poll(() => card.text.innerText(), { timeout: 10_000 }).toContain('A-10422')
    expect(await card.helpful.getAttribute('aria-pressed')).toBe('true')
    expect(await card.root.getByRole('button', { name: 'Not helpful', exact: true }).getAttribute('aria-pressed')).toBe('false')
  })

  it('marks the story stale when a new message arrives, until the server rewrites it', async () => {
    const posted = await api(env.server.url, 'POST', '/api/v1/inbound', {
      token: integrationToken,
      body: { channel: 'sms', inbox: SMS_INBOX, externalId: 'SM-stale-1', from: { kind: 'phone', address: MAYA_PHONE }, text: 'Also, the new base should be black please.' },
    })
    expect(posted.status, JSON.stringify(posted.body)).toBe(201)
    await workspace.message('the new base should be black').waitFor({ timeout: 15_000 })
    await card.stale.waitFor({ timeout: 5_000 })
    expect(await card.stale.innerText()).toBe('1 new message')
    expect(await card.asOf.innerText()).toMatch(/^as of .+ · 1 new message$/)
    // The server's next version covers it.
    await card.stale.waitFor({ state: 'detached', timeout: 30_000 })
    expect(await card.onDevice.count()).toBe(0)
  })

  it("shows a resolved conversation's wrap-up in the timeline, with chips that open what they cite", async () => {
    await workspace.resolve()
    const wrapUp = workspace.timeline.locator(':scope > li[data-kind="summary"][data-summary-kind="wrap_up"]')
    await wrapUp.first().waitFor({ timeout: 30_000 })
    expect(await wrapUp.first().getByRole('article', { name: 'Wrap-up' }).innerText()).toMatch(/^wrap-up\s+embedded summarizer/i)
    const facts = wrapUp.first().getByRole('list', { name: 'Facts' })
    // A long list shows its first chips and "+N more".
    const more = facts.getByRole('button', { name: /^\+\d+ more$/ })
    if ((await more.count()) > 0) await more.click()
    const chip = facts.getByRole('button').filter({ hasText: 'black' }).first()
    await chip.click()
    await expect.poll(() => workspace.message('the new base should be black').getAttribute('data-cited'), { timeout: 5_000 }).toBe('true')
  })

  it('writes the story on this device when Regenerate is pressed offline', async () => {
    await env.stopServer()
    await expect.poll(() => workspace.syncStatus(), { timeout: 20_000 }).toBe('Offline')
    // The server's story was written moments ago; offline the device writes it from its cache, with no cooldown.
    await card.regenerate.click()
    await card.onDevice.waitFor({ timeout: 10_000 })
    expect(await card.onDevice.innerText()).toBe('Updated on this device')
    expect(await card.source.innerText()).toBe('Embedded summarizer')
    expect(await card.text.innerText()).toContain('A-10422')
    // A story written here is not rated: the server judges its own versions.
    expect(await card.helpful.isDisabled()).toBe(true)
    await env.startServer()
  })
})
