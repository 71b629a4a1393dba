import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CSAT_RATINGS, RATING_WORDS } from '../../src/shared/csat'
import { api, connectClient, startTestServer, userWithToken, type SyncClient, type TestServer } from '../integration/server-fixtures'
import { eventually } from '../integration/support/eventually'
import { CHROMIUM_ARGS, ChatWidgetPage, serveEmbeddingSite, type EmbeddingSite } from './pages/chat-widget-page'

/**
 * A satisfaction survey in the web chat widget (Chromium, on the shop's own origin). The agent
 * resolves the chat; the widget offers ratings 1–5 under the question; the visitor's click is a
 * `csat_answered` event in the customer's timeline, and the answered survey comes back from the
 * history as its thanks line, with nothing left to click.
 */

const CHROMIUM = process.env.THREADLINE_CHROMIUM ?? '/usr/bin/chromium'
const INBOX = 'Website chat'
const QUESTION = 'How would you rate the help you received from us?'

let site: EmbeddingSite
let t: TestServer
let token: string
let browser: Browser
let agentApp: SyncClient

// REST response bodies are inspected field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any

const call = async (method: string, route: string, body?: unknown): Promise<Json> => {
  const res = await api(t.server.url, method, route, { token, body })
  expect(res.status, `${method} ${route}: ${JSON.stringify(res.body)}`).toBe(200)
  return res.body
}

const timelineEvents = async (customerId: string, type: string): Promise<Json[]> =>
  ((await call('GET', `/api/v1/customers/${customerId}/timeline?limit=200`)).items as Json[]).filter((e) => e.kind === 'event' && e.item.type === type)

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-test-deps.sh`)
  site = await serveEmbeddingSite()
  t = await startTestServer({
    inboxes: [
      {
        name: INBOX,
        channel: 'chat',
        connector: { type: 'webchat', secret: 'e2e-webchat-secret-0123456789abcdef', allowedOrigins: [site.origin] },
        // The default question, sent at once rather than after the default two minutes.
        csat: { delaySeconds: 0 },
      },
    ],
  })
  site.setServer(t.server.url, INBOX)
  token = (await userWithToken(t.server, 'Alex Morgan')).token
  // An agent has the app open, so the widget offers a live chat rather than the offline form.
  agentApp = (await connectClient(t.server.url, token)).socket
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
})

afterAll(async () => {
  agentApp?.close()
  await browser?.close()
  await t?.cleanup()
  await site?.close()
})

describe('satisfaction survey in the chat widget', () => {
  it('offers 1–5 when the chat is resolved, records the rating, and shows it answered after a reload', async () => {
    const widget = await ChatWidgetPage.open(browser, site)
    await widget.openChat()
    await widget.fillPrechat({ name: 'Noor Haddad', email: 'noor.haddad@example.test' })
    await widget.send('My desk lamp flickers when dimmed. Is that normal?')
    // The same visitor in a second tab: it gets the survey live too, and answers after the first.
    const otherTab = await widget.newTab(site)
    await otherTab.openChat()
    await otherTab.messages.filter({ hasText: 'flickers' }).waitFor()

    const conversation = await eventually(
      async () => (await call('GET', `/api/v1/conversations?inbox=${encodeURIComponent(INBOX)}`)).items[0],
      'the chat conversation',
    )
    await call('PATCH', `/api/v1/conversations/${conversation.id}`, { status: 'resolved' })

    // The question, from the survey, with one button per rating named in words.
    const survey = widget.surveyMessages
    await survey.waitFor()
    expect(await survey.locator('[data-part="author"]').textContent()).toBe('Satisfaction survey')
    expect(await survey.locator('[data-part="text"]').textContent()).toBe(QUESTION)
    await expect.poll(() => widget.rateButtons.count()).toBe(5)
    expect(await widget.rateButtons.allTextContents()).toEqual(CSAT_RATINGS.map(String))
    const labels = await widget.rateButtons.evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label')))
    expect(labels).toEqual(CSAT_RATINGS.map((r) => `Rate ${r} of 5 – ${RATING_WORDS[r]}`))
    await widget.panel.getByRole('button', { name: 'Rate 4 of 5 – Good' }).waitFor()

    // Clicked, every button waits for the server's answer (checked in the click's own task, before any answer can arrive).
    const disabledOnClick = await widget.rateButtons.evaluateAll((elements) => {
      // The test's types know no DOM: a button as this check uses it.
      const buttons = elements as unknown as { disabled: boolean; click(): void; getAttribute(name: string): string | null }[]
      buttons.find((b) => b.getAttribute('data-rating') === '4')?.click()
      return buttons.map((b) => b.disabled)
    })
    expect(disabledOnClick).toEqual([true, true, true, true, true])
    await widget.surveyThanks.waitFor()
    expect(await widget.surveyThanks.textContent()).toBe('Thanks — you rated 4 of 5.')
    expect(await widget.rateButtons.count()).toBe(0)
    expect(await widget.notice.isHidden()).toBe(true)

    // The answer is in the customer's timeline.
    const answered = await eventually(async () => (await timelineEvents(conversation.customerId, 'csat_answered'))[0], 'the csat_answered event')
    expect(answered.item).toMatchObject({ conversationId: conversation.id, data: { rating: 4, channel: 'chat' } })
    const [requested] = await timelineEvents(conversation.customerId, 'csat_requested')
    expect(requested.item.data.rating).toBe(4)
    expect(answered.item.data.surveyId).toBe(requested.item.id)

    // The other tab still offers the buttons; its click records nothing more, and it thanks with the rating given.
    await expect.poll(() => otherTab.rateButtons.count()).toBe(5)
    await otherTab.rate(5)
    await otherTab.surveyThanks.waitFor()
    expect(await otherTab.surveyThanks.textContent()).toBe('Thanks — you rated 4 of 5.')
    expect(await otherTab.rateButtons.count()).toBe(0)
    expect(await otherTab.notice.isHidden()).toBe(true)
    expect(await timelineEvents(conversation.customerId, 'csat_answered')).toHaveLength(1)
    await otherTab.page.close()

    // After a reload the survey comes from the history, answered: once, with its thanks line and no buttons.
    await widget.reload()
    await widget.openChat()
    await widget.surveyThanks.waitFor()
    expect(await widget.surveys.count()).toBe(1)
    expect(await widget.messages.filter({ hasText: QUESTION }).count()).toBe(1)
    expect(await widget.surveyThanks.textContent()).toBe('Thanks — you rated 4 of 5.')
    expect(await widget.rateButtons.count()).toBe(0)
    expect(await widget.texts()).toEqual(['My desk lamp flickers when dimmed. Is that normal?', QUESTION])
    await widget.close()
  })
})
