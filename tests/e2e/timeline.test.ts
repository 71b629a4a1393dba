import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/**
 * One long-standing customer's timeline in a real browser against a real sync server:
 * threads with headers, 150 SMS updates paged in as the agent scrolls up, jump to a date,
 * an HTML email whose remote image stays blocked until allowed, and folded quotes.
 */

const HOUR = 3_600_000
const SMS_COUNT = 150
const TRACKER = 'https://tracker.example.test/open.png'
let env: E2eEnvironment
let workspace: WorkspacePage
const trackerRequests: string[] = []
let firstSmsAt = 0

beforeAll(async () => {
  env = await startEnvironment({
    seed: async (server) => {
      const agent = await server.createUser({ name: 'Alex Morgan', email: 'alex@example.test', role: 'agent', team: 'Support' })
      const now = Date.now()
      const phone = '+46701234567'
      firstSmsAt = now - (SMS_COUNT + 10) * HOUR
      for (let i = 0; i < SMS_COUNT; i++) {
        await server.ingest({
          channel: 'sms',
          inbox: '+14155550100',
          externalId: `SM-${i}`,
          from: { kind: 'phone', address: phone, name: 'Maya Lindqvist' },
          text: `Tracking update ${String(i).padStart(3, '0')}`,
          sentAt: firstSmsAt + i * HOUR,
        })
      }
      await server.ingest({
        channel: 'email',
        inbox: 'support@example.test',
        externalId: '<newsletter-reply@mail.example.test>',
        from: { kind: 'email', address: 'maya@example.test', name: 'Maya Lindqvist' },
        alsoKnownAs: [{ kind: 'phone', address: phone }],
        subject: 'Lamp shade photos',
        text: 'Here is the photo of the shade.',
        html:
          `<p>Here is the photo of the shade.</p><p><img src="${TRACKER}" alt="shade photo"></p>` +
          '<div class="gmail_signature">Maya Lindqvist | Lamp enthusiast</div>' +
          '<div>On Mon, 2 Mar 2026 at 10:02, Support &lt;support@example.test&gt; wrote:</div>' +
          '<blockquote><p>Could you send us a photo of the damage?</p></blockquote>',
        sentAt: now - 2 * HOUR,
      })
      await server.ingest({
        channel: 'sms',
        inbox: '+14155550100',
        externalId: 'SM-last',
        from: { kind: 'phone', address: phone },
        text: 'Sent you the photo by email.\n\nOn Mon, 2 Mar 2026, Support wrote:\n> Please send a photo\n> Thanks',
        sentAt: now - HOUR,
      })
      return agent
    },
  })
  await env.page.route('https://tracker.example.test/**', async (route) => {
    trackerRequests.push(route.request().url())
    // A 1×1 transparent GIF.
    await route.fulfill({ contentType: 'image/gif', body: Buffer.from('R0lGODlhAQABAAAAACwAAAAAAQABAAA=', 'base64') })
  })
  workspace = new WorkspacePage(env.page)
  await workspace.open(env.host.url)
  await workspace.inboxRow('Maya Lindqvist').first().waitFor({ timeout: 60_000 })
  await workspace.openCustomer('Maya Lindqvist')
  await workspace.message('Sent you the photo by email.').waitFor({ timeout: 30_000 })
})

afterAll(async () => {
  await env?.close()
})

const scroller = () => env.page.getByTestId('timeline-scroller')
const threadHeaders = () => workspace.timeline.locator(':scope > li[data-row="thread"]').allInnerTexts()
const smsShown = () => workspace.timeline.locator(':scope > li[data-kind="message"]').filter({ hasText: 'Tracking update' }).allInnerTexts()

describe('customer timeline', () => {
  it('groups items into threads with a header per conversation, marking where the customer switched channels inside it', async () => {
    // Her email came within 72 hours of her texts: it joined the same conversation, under its one header.
    // The list is virtualized: how many of today's items sit below the day's header depends on the
    // hour, so the header can start out of the rendered window. Scroll up to it, a little at a time.
    for (let step = 0; step < 20 && (await threadHeaders()).length === 0; step++) {
      await scroller().evaluate((el) => el.scrollBy(0, -300))
      await env.page.waitForTimeout(100)
    }
    const headers = await threadHeaders()
    expect(headers.length).toBeGreaterThan(0)
    expect(headers.every((h) => h.includes('SMS') && h.includes('+14155550100'))).toBe(true)
    await scroller().evaluate((el) => el.scrollTo(0, el.scrollHeight))
    await workspace.message('Sent you the photo by email.').waitFor()
    // Each message shows the channel it came by, and the switches between them are marked.
    expect(await workspace.timeline.locator(':scope > li[data-kind="message"][data-channel="email"]').count()).toBe(1)
    expect(await workspace.message('Sent you the photo by email.').getAttribute('data-channel')).toBe('sms')
    const switches = await workspace.timeline.locator(':scope > li[data-event-type="channel_switched"]').allInnerTexts()
    expect(switches.map((t) => t.split('\n')[0])).toEqual(['Switched from SMS to email', 'Switched from email to SMS'])
  })

  it('opens on the latest page and loads older items inline on scroll-up, keeping the place', async () => {
    // Only the latest page is in: the oldest SMS is not anywhere yet.
    expect((await smsShown()).some((t) => t.includes('Tracking update 000'))).toBe(false)
    const box = scroller()
    for (let attempt = 0; attempt < 40; attempt++) {
      const oldestShown = (await smsShown())[0] ?? ''
      if (oldestShown.includes('Tracking update 000')) break
      const anchor = workspace.timeline.locator(':scope > li[data-kind="message"]').first()
      const anchorText = await anchor.innerText()
      await box.evaluate((el) => el.scrollBy(0, -2_000))
      await env.page.waitForTimeout(150)
      // Whatever was on screen is still on screen after older rows arrived above it.
      const stillThere = workspace.timeline.locator(':scope > li[data-kind="message"]').filter({ hasText: anchorText.split('\n').find((l) => l.startsWith('Tracking')) ?? anchorText })
      if ((await stillThere.count()) > 0) {
        const within = await stillThere.first().evaluate((el) => {
          const s = el.closest('[data-testid="timeline-scroller"]')?.getBoundingClientRect()
          const r = el.getBoundingClientRect()
          return !!s && r.bottom > s.top - 4_000 && r.top < s.bottom + 4_000
        })
        expect(within).toBe(true)
      }
    }
    await expect.poll(async () => (await smsShown())[0] ?? '', { timeout: 15_000 }).toContain('Tracking update 000')
  })

  it('jumps to a date and back to the latest', async () => {
    await scroller().evaluate((el) => el.scrollTo(0, el.scrollHeight))
    const day = new Date(firstSmsAt + 30 * HOUR)
    const iso = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`
    await env.page.getByLabel('Jump to date').fill(iso)
    // The chosen day opens at its top: its first SMS is on screen.
    const first = Array.from({ length: SMS_COUNT }, (_, i) => i).find((i) => new Date(firstSmsAt + i * HOUR).toDateString() === day.toDateString()) ?? 0
    const expected = `Tracking update ${String(first).padStart(3, '0')}`
    await expect.poll(async () => (await smsShown()).some((t) => t.includes(expected)), { timeout: 15_000 }).toBe(true)
    await env.page.getByRole('button', { name: 'Back to latest' }).click()
    await workspace.message('Sent you the photo by email.').waitFor()
  })

  it('shows the email HTML in a sandbox with its remote image blocked until allowed', async () => {
    const frame = workspace.timeline.locator('iframe.email-frame')
    await frame.waitFor()
    expect(await frame.getAttribute('sandbox')).toBe('')
    const blocked = env.page.getByTestId('remote-images-blocked')
    await expect.poll(() => blocked.innerText()).toContain('1 remote image blocked')
    expect(await frame.getAttribute('srcdoc')).not.toContain(TRACKER)
    // The signature and the quote under "On … wrote:" are folded away until asked for.
    expect(await frame.getAttribute('srcdoc')).not.toContain('photo of the damage')
    expect(await frame.getAttribute('srcdoc')).not.toContain('Lamp enthusiast')
    await env.page.waitForTimeout(500)
    expect(trackerRequests).toEqual([])

    await blocked.getByRole('button', { name: 'Show remote images' }).click()
    await expect.poll(() => frame.getAttribute('srcdoc')).toContain(TRACKER)
    await expect.poll(() => trackerRequests.length, { timeout: 10_000 }).toBeGreaterThan(0)
    await workspace.timeline.locator('li[data-kind="message"]').filter({ has: env.page.locator('iframe.email-frame') }).getByRole('button', { name: 'Show quoted text' }).click()
    await expect.poll(() => frame.getAttribute('srcdoc')).toContain('photo of the damage')
    expect(await frame.getAttribute('srcdoc')).toContain('Lamp enthusiast')
  })

  it('folds quoted text in a plain message behind "…"', async () => {
    const item = workspace.message('Sent you the photo by email.')
    expect(await item.innerText()).not.toContain('Please send a photo')
    await item.getByRole('button', { name: 'Show quoted text' }).click()
    await expect.poll(() => item.innerText()).toContain('> Please send a photo')
  })
})
