import os from 'node:os'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { simpleParser } from 'mailparser'
import MailComposer from 'nodemailer/lib/mail-composer'
import { io, type Socket } from 'socket.io-client'
import type { z } from 'zod'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  CHAT_SOCKET_PATH,
  type ChatClientToServerEvents,
  type ChatError,
  type ChatMessage,
  type ChatServerToClientEvents,
  type ChatSession,
  type RateResponse,
  type SendResponse,
} from '../../src/shared/chat'
import type { User } from '../../src/shared/domain'
import { signBody } from '../../src/server/connectors/whatsapp/signature'
import { ServerConfig } from '../../src/server/config'
import type { CsatSettings } from '../../src/server/csat/settings'
import { startServer } from '../../src/server/server'
import { api, startTestServer, userWithToken, type TestServer } from './server-fixtures'
import { eventually } from './support/eventually'
import { postTwilioForm, startFakeProvider, twilioMessagesApi, whatsappGraphApi, type FakeProvider } from './support/fake-provider'
import { emailConnector, startDovecot, startSmtpCapture, type DovecotServer, type SmtpCapture } from './support/mail-servers'

/**
 * Satisfaction surveys through the real connectors: resolving a conversation asks its customer
 * for a rating on its own channel (a digit by SMS or WhatsApp, links to the server's page by
 * email, buttons in the web chat), the answer lands in the timeline and the reports, and the
 * rules (once a week, consent, WhatsApp's window, inboxes that do not ask) hold back the rest.
 */

const PUBLIC_URL = 'https://threadline.example.test'
const DIGIT_PROMPT = 'Reply with a number from 1 (very poor) to 5 (great).'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any

/**
 * An inbox's `csat` settings as a config file gives them: the server fills in the defaults (the
 * question, purpose promotional); sent at once unless the test waits for the delay.
 */
const csat = (settings: z.input<typeof CsatSettings> = {}): z.input<typeof CsatSettings> => ({ delaySeconds: 0, ...settings })

interface Ctx {
  t: TestServer
  token: string
  user: User
}

async function get(ctx: Ctx, route: string): Promise<Json> {
  const res = await api(ctx.t.server.url, 'GET', route, { token: ctx.token })
  expect(res.status, `GET ${route}: ${JSON.stringify(res.body)}`).toBe(200)
  return res.body
}

const timelineOf = async (ctx: Ctx, customerId: string): Promise<{ kind: string; item: Json }[]> =>
  (await get(ctx, `/api/v1/customers/${customerId}/timeline?limit=200`)).items

const eventsOf = async (ctx: Ctx, customerId: string, type: string): Promise<Json[]> =>
  (await timelineOf(ctx, customerId)).filter((e) => e.kind === 'event' && e.item.type === type).map((e) => e.item)

const messagesOf = async (ctx: Ctx, conversationId: string): Promise<Json[]> =>
  (await get(ctx, `/api/v1/conversations/${conversationId}/messages?limit=200`)).items

const conversationOf = (ctx: Ctx, id: string): Promise<Json> => get(ctx, `/api/v1/conversations/${id}`)

/** The agent sets the status through the REST API (the setStatus mutation). */
async function setStatus(ctx: Ctx, conversationId: string, status: 'open' | 'resolved'): Promise<Json> {
  const res = await api(ctx.t.server.url, 'PATCH', `/api/v1/conversations/${conversationId}`, { token: ctx.token, body: { status } })
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  expect(res.body.status).toBe(status)
  return res.body
}

async function profileOf(ctx: Ctx, query: string): Promise<Json> {
  const found = await eventually(async () => (await get(ctx, `/api/v1/customers?q=${encodeURIComponent(query)}`)).items[0], `a customer matching ${query}`)
  return get(ctx, `/api/v1/customers/${found.id}`)
}

/** The survey messages (outbound, authored by the survey) of a conversation. */
const surveyMessages = async (ctx: Ctx, conversationId: string): Promise<Json[]> =>
  (await messagesOf(ctx, conversationId)).filter((m) => m.direction === 'outbound' && m.authorName === 'Satisfaction survey')

async function csatReport(ctx: Ctx, from: number): Promise<Json> {
  const supervisor = await userWithToken(ctx.t.server, `Sol ${randomUUID().slice(0, 6)}`, { role: 'supervisor' })
  const res = await api(ctx.t.server.url, 'GET', `/api/v1/reports?from=${from}&to=${Date.now() + 60_000}`, { token: supervisor.token })
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res.body.csat
}

// ---------------------------------------------------------------------------------------------
// SMS and WhatsApp: one fake provider answering both Twilio's REST API and the Graph API.

const ACCOUNT = 'AC00000000000000000000000000000001'
const AUTH_TOKEN = 'twilio-auth-token-for-tests'
const SURVEY_NUMBER = '+15005550006'
const PLAIN_NUMBER = '+15005550007'
const LATER_NUMBER = '+15005550008'
const NUMBERS = { 'sms-main': SURVEY_NUMBER, 'sms-plain': PLAIN_NUMBER, 'sms-later': LATER_NUMBER } as const
const APP_SECRET = 'whatsapp-app-secret-for-tests'
const ACCESS_TOKEN = 'graph-access-token-for-tests'
const PHONE_ID = '106540352242922'
const WA_PATH = '/webhooks/wa-main/whatsapp'

const graphApi = whatsappGraphApi(PHONE_ID, ACCESS_TOKEN)

describe('satisfaction surveys by SMS and WhatsApp', () => {
  let provider: FakeProvider
  let ctx: Ctx
  const twilioApi = twilioMessagesApi(ACCOUNT, AUTH_TOKEN)

  beforeAll(async () => {
    provider = await startFakeProvider((r) => twilioApi(r) ?? graphApi(r))
  })
  afterAll(async () => {
    await provider.close()
  })
  beforeEach(async () => {
    provider.requests.length = 0
    const twilio = (from: string) => ({ type: 'twilio-sms', accountSid: ACCOUNT, authToken: AUTH_TOKEN, from, apiBaseUrl: provider.url })
    const t = await startTestServer({
      publicUrl: PUBLIC_URL,
      outbound: 'none',
      inboxes: [
        { name: 'sms-main', channel: 'sms', connector: twilio(SURVEY_NUMBER), csat: csat() },
        // The same provider, but an inbox that asks nobody, and one that asks two seconds after the resolution.
        { name: 'sms-plain', channel: 'sms', connector: twilio(PLAIN_NUMBER) },
        { name: 'sms-later', channel: 'sms', connector: twilio(LATER_NUMBER), csat: csat({ delaySeconds: 2 }) },
        {
          name: 'wa-main',
          channel: 'whatsapp',
          connector: { type: 'whatsapp-cloud', phoneNumberId: PHONE_ID, accessToken: ACCESS_TOKEN, appSecret: APP_SECRET, verifyToken: 'v', graphApiBaseUrl: provider.url },
          csat: csat({ question: 'Wie zufrieden waren Sie mit unserer Hilfe?' }),
        },
      ],
    })
    const agent = await userWithToken(t.server, 'Alex')
    ctx = { t, token: agent.token, user: agent.user }
  })
  afterEach(async () => {
    await ctx.t.cleanup()
  })

  let sidSeq = 0
  const nextSid = () => `SM${(++sidSeq).toString().padStart(32, 'c')}`
  /** A customer's signed SMS to one of the inboxes; returns the params posted. */
  async function sms(from: string, body: string, inbox: keyof typeof NUMBERS = 'sms-main', sid = nextSid()) {
    const params = { MessageSid: sid, AccountSid: ACCOUNT, From: from, To: NUMBERS[inbox], Body: body, NumMedia: '0' }
    const res = await postTwilioForm(ctx.t.server.url, PUBLIC_URL, `/webhooks/${inbox}/sms`, params, AUTH_TOKEN)
    expect(res.status, res.body).toBe(200)
    return params
  }
  const smsSurveysTo = (phone: string) =>
    provider.requests
      .filter((r) => r.path.endsWith('/Messages.json'))
      .map((r) => new URLSearchParams(r.body))
      .filter((f) => f.get('To') === phone && (f.get('Body') ?? '').includes(DIGIT_PROMPT))

  function waWebhook(from: string, id: string, body: string, at = Math.floor(Date.now() / 1000)) {
    return {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: 'WABA',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550001111', phone_number_id: PHONE_ID },
                contacts: [{ profile: { name: 'Lena Vogel' }, wa_id: from }],
                messages: [{ from, id, timestamp: String(at), type: 'text', text: { body } }],
              },
            },
          ],
        },
      ],
    }
  }
  async function whatsapp(from: string, id: string, body: string, at?: number) {
    const raw = JSON.stringify(waWebhook(from, id, body, at))
    const res = await fetch(ctx.t.server.url + WA_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(raw, APP_SECRET) },
      body: raw,
    })
    expect(res.status, await res.clone().text()).toBe(200)
  }
  const waSurveysTo = (waId: string) =>
    provider.requests
      .filter((r) => r.path === `/v21.0/${PHONE_ID}/messages`)
      .map((r) => JSON.parse(r.body) as { to: string; text?: { body: string } })
      .filter((b) => b.to === waId && (b.text?.body ?? '').includes(DIGIT_PROMPT))

  it('SMS: resolving texts the survey, a digit answers it without reopening, a later digit is a message; the report counts it', async () => {
    const startedAt = Date.now()
    const phone = '+12025550143'
    await sms(phone, 'My parcel never arrived')
    const profile = await profileOf(ctx, phone)
    const customerId = profile.customer.id as string
    const conversationId = profile.conversations[0].id as string
    expect(await eventsOf(ctx, customerId, 'csat_requested')).toEqual([])

    await setStatus(ctx, conversationId, 'resolved')
    const [sent] = await eventually(async () => (smsSurveysTo(phone).length > 0 ? smsSurveysTo(phone) : null), 'the survey SMS at the provider')
    expect(sent?.get('From')).toBe(SURVEY_NUMBER)
    expect(sent?.get('Body')).toBe(`How would you rate the help you received from us? ${DIGIT_PROMPT}`)
    const [survey] = await eventsOf(ctx, customerId, 'csat_requested')
    const [surveyMessage] = await surveyMessages(ctx, conversationId)
    expect(survey).toMatchObject({ conversationId, data: { channel: 'sms', messageId: surveyMessage.id, rating: null, answeredAt: null, tokenHash: null } })
    await eventually(async () => (await surveyMessages(ctx, conversationId))[0]?.deliveryStatus === 'sent', 'the survey recorded as sent')

    // The customer answers with a digit: kept with the survey, the conversation stays resolved.
    const answer = await sms(phone, '4')
    const [answered] = await eventsOf(ctx, customerId, 'csat_answered')
    const digit = (await messagesOf(ctx, conversationId)).find((m) => m.externalId === answer.MessageSid)
    expect(digit).toMatchObject({ direction: 'inbound', text: '4', conversationId })
    expect(answered).toMatchObject({ conversationId, data: { surveyId: survey.id, rating: 4, channel: 'sms', messageId: digit.id } })
    expect((await conversationOf(ctx, conversationId)).status).toBe('resolved')
    expect((await eventsOf(ctx, customerId, 'csat_requested'))[0]).toMatchObject({ id: survey.id, data: { rating: 4, answeredAt: expect.any(Number) } })
    // A provider's retry of the same SMS answers nothing twice.
    await sms(phone, '4', 'sms-main', answer.MessageSid)
    expect(await eventsOf(ctx, customerId, 'csat_answered')).toHaveLength(1)
    expect((await profileOf(ctx, phone)).conversations).toHaveLength(1)

    // A second digit is an ordinary message: the survey took its one answer, so this reopens.
    const later = await sms(phone, '5')
    expect(await eventsOf(ctx, customerId, 'csat_answered')).toHaveLength(1)
    const after = await profileOf(ctx, phone)
    const reopenedIn = after.conversations.find((c: Json) => c.status === 'open')
    expect(reopenedIn, JSON.stringify(after.conversations)).toBeDefined()
    expect((await messagesOf(ctx, reopenedIn.id)).some((m) => m.externalId === later.MessageSid && m.text === '5')).toBe(true)
    expect(smsSurveysTo(phone)).toHaveLength(1)

    expect(await csatReport(ctx, startedAt - 60_000)).toMatchObject({ surveys: 1, responded: 1, responseRate: 1, answers: 1, promoters: 1, share: 1 })
  })

  it('WhatsApp: resolving sends the survey in the 24-hour window and a digit answers it; outside the window nobody is asked', async () => {
    const startedAt = Date.now()
    const waId = '4915112345678'
    await whatsapp(waId, 'wamid.IN1', 'Wo bleibt meine Bestellung?')
    const profile = await profileOf(ctx, waId)
    const customerId = profile.customer.id as string
    const conversationId = profile.conversations[0].id as string

    await setStatus(ctx, conversationId, 'resolved')
    const [sent] = await eventually(async () => (waSurveysTo(waId).length > 0 ? waSurveysTo(waId) : null), 'the survey at the Graph API')
    expect(sent).toMatchObject({ to: waId, type: 'text', text: { body: `Wie zufrieden waren Sie mit unserer Hilfe? ${DIGIT_PROMPT}` } })
    const [survey] = await eventsOf(ctx, customerId, 'csat_requested')
    expect(survey).toMatchObject({ conversationId, data: { channel: 'whatsapp', rating: null } })

    // WhatsApp dates a message to the second: an answer within the second the survey went out is dated after it.
    await whatsapp(waId, 'wamid.IN2', '2', Math.floor(survey.data.sendsAt / 1000))
    const [answered] = await eventsOf(ctx, customerId, 'csat_answered')
    expect(answered).toMatchObject({ conversationId, data: { surveyId: survey.id, rating: 2, channel: 'whatsapp', messageId: expect.any(String) } })
    expect((await messagesOf(ctx, conversationId)).find((m) => m.id === answered.data.messageId)).toMatchObject({ externalId: 'wamid.IN2', text: '2' })
    expect((await conversationOf(ctx, conversationId)).status).toBe('resolved')
    expect(answered.createdAt).toBeGreaterThanOrEqual(survey.data.sendsAt)

    await whatsapp(waId, 'wamid.IN3', '3', Math.floor(survey.data.sendsAt / 1000) + 2)
    expect(await eventsOf(ctx, customerId, 'csat_answered')).toHaveLength(1)
    expect((await profileOf(ctx, waId)).conversations.some((c: Json) => c.status === 'open')).toBe(true)

    // A customer whose last message is 25 hours old: only a template could reach them, so no survey.
    const quiet = '4917099887766'
    await whatsapp(quiet, 'wamid.OLD', 'Danke!', Math.floor((Date.now() - 25 * 3_600_000) / 1000))
    const old = await profileOf(ctx, quiet)
    await setStatus(ctx, old.conversations[0].id, 'resolved')
    expect(await eventsOf(ctx, old.customer.id, 'csat_requested')).toEqual([])
    expect(await surveyMessages(ctx, old.conversations[0].id)).toEqual([])

    expect(await csatReport(ctx, startedAt - 60_000)).toMatchObject({ surveys: 1, answers: 1, promoters: 0, share: 0, responded: 1 })
    expect(waSurveysTo(quiet)).toEqual([])
    expect(waSurveysTo(waId)).toHaveLength(1)
  })

  it('asks a customer at most once in 7 days: a reopened and resolved again conversation sends no second survey', async () => {
    const phone = '+12025550177'
    await sms(phone, 'Where is my refund?')
    const profile = await profileOf(ctx, phone)
    const customerId = profile.customer.id as string
    const conversationId = profile.conversations[0].id as string
    await setStatus(ctx, conversationId, 'resolved')
    await eventually(async () => smsSurveysTo(phone).length === 1, 'the first survey')

    await setStatus(ctx, conversationId, 'open')
    await setStatus(ctx, conversationId, 'resolved')
    // The survey is queued in the write that resolves: none was, so none can be sent.
    expect(await eventsOf(ctx, customerId, 'csat_requested')).toHaveLength(1)
    expect(await surveyMessages(ctx, conversationId)).toHaveLength(1)

    // Eight days on, the same customer may be asked again.
    const later = Date.now() + 8 * 86_400_000
    for (const status of ['open', 'resolved'] as const) {
      const result = await ctx.t.server.applyMutation(ctx.user, { name: 'setStatus', args: { conversationId, status } }, undefined, { at: later })
      expect(result.outcome).toBe('applied')
    }
    expect(await eventsOf(ctx, customerId, 'csat_requested')).toHaveLength(2)
    expect(await surveyMessages(ctx, conversationId)).toHaveLength(2)
  })

  it('asks nobody who opted out of promotional messages, and nothing from an inbox without csat', async () => {
    const optedOut = '+12025550188'
    await sms(optedOut, 'Thanks, all good')
    const profile = await profileOf(ctx, optedOut)
    const conversationId = profile.conversations[0].id as string
    const consent = await ctx.t.server.applyMutation(ctx.user, {
      name: 'setConsent',
      args: { customerId: profile.customer.id, conversationId, changes: { promotional: false }, note: 'no marketing, please' },
    })
    expect(consent.outcome).toBe('applied')
    expect((await profileOf(ctx, optedOut)).customer.consent).toEqual({ promotional: false })
    await setStatus(ctx, conversationId, 'resolved')
    expect(await eventsOf(ctx, profile.customer.id, 'csat_requested')).toEqual([])
    expect(await surveyMessages(ctx, conversationId)).toEqual([])

    const plain = '+12025550199'
    await sms(plain, 'Opening hours?', 'sms-plain')
    const other = await profileOf(ctx, plain)
    expect(other.conversations[0]).toMatchObject({ inbox: 'sms-plain' })
    await setStatus(ctx, other.conversations[0].id, 'resolved')
    expect(await eventsOf(ctx, other.customer.id, 'csat_requested')).toEqual([])
    expect(await surveyMessages(ctx, other.conversations[0].id)).toEqual([])
    // A digit to that inbox is only a message: it answers nothing and reopens the conversation.
    await sms(plain, '5', 'sms-plain')
    expect(await eventsOf(ctx, other.customer.id, 'csat_answered')).toEqual([])
    expect((await conversationOf(ctx, other.conversations[0].id)).status).toBe('open')

    // Control: a customer of the surveying inbox in the same state is asked, so the checks above could fail.
    const control = '+12025550111'
    await sms(control, 'Thanks!')
    const c = await profileOf(ctx, control)
    await setStatus(ctx, c.conversations[0].id, 'resolved')
    expect(await eventsOf(ctx, c.customer.id, 'csat_requested')).toHaveLength(1)
    await eventually(async () => smsSurveysTo(control).length === 1, 'the control survey')
    expect(smsSurveysTo(optedOut)).toEqual([])
    expect(smsSurveysTo(plain)).toEqual([])
  })

  it('waits the inbox’s delay before asking, and asks nothing about a conversation reopened meanwhile (an Undo)', async () => {
    const startedAt = Date.now()
    const phone = '+12025550122'
    await sms(phone, 'Can I change my delivery address?', 'sms-later')
    const profile = await profileOf(ctx, phone)
    const customerId = profile.customer.id as string
    const conversationId = profile.conversations[0].id as string

    const resolvedAt = Date.now()
    await setStatus(ctx, conversationId, 'resolved')
    const [survey] = await eventsOf(ctx, customerId, 'csat_requested')
    expect(survey.data.sendsAt - survey.createdAt).toBe(2_000)
    expect((await surveyMessages(ctx, conversationId))[0]).toMatchObject({ deliveryStatus: 'queued' })
    // Undone at once: the question never goes, and says why.
    await setStatus(ctx, conversationId, 'open')
    const [cancelled] = await surveyMessages(ctx, conversationId)
    expect(cancelled).toMatchObject({ deliveryStatus: 'failed', deliveryError: 'not sent: the conversation was reopened before the survey went out' })
    expect((await eventsOf(ctx, customerId, 'csat_requested'))[0].data.cancelled).toBe(cancelled.deliveryError)
    await new Promise((r) => setTimeout(r, 2_500))
    expect(smsSurveysTo(phone)).toEqual([])

    // Resolved for good: a survey not sent does not count against the week, so this one asks, once its time comes.
    await setStatus(ctx, conversationId, 'resolved')
    const due = Date.now() + 2_000
    await eventually(async () => smsSurveysTo(phone).length === 1, 'the delayed survey at the provider', 10_000)
    expect(Date.now()).toBeGreaterThanOrEqual(due - 100)
    expect(Date.now() - resolvedAt).toBeGreaterThan(4_000)
    expect(await csatReport(ctx, startedAt - 60_000)).toMatchObject({ surveys: 1, answers: 0 })
  })

  it('takes a digit written before the survey went out for an ordinary message, not its answer', async () => {
    const waId = '4915188877766'
    await whatsapp(waId, 'wamid.EARLY0', 'Ist die Rücksendung angekommen?')
    const profile = await profileOf(ctx, waId)
    const conversationId = profile.conversations[0].id as string
    await setStatus(ctx, conversationId, 'resolved')
    const [survey] = await eventsOf(ctx, profile.customer.id, 'csat_requested')
    // Delivered late: the customer wrote "1" ten minutes before the survey, in answer to something else.
    await whatsapp(waId, 'wamid.EARLY1', '1', Math.floor((survey.data.sendsAt - 10 * 60_000) / 1000))
    expect(await eventsOf(ctx, profile.customer.id, 'csat_answered')).toEqual([])
    expect((await conversationOf(ctx, conversationId)).status).toBe('open')
  })
})

// ---------------------------------------------------------------------------------------------
// Email: Dovecot in, SMTP capture out, and the survey page on the server.

describe('satisfaction surveys by email', () => {
  const SUPPORT = 'support@threadline.test'
  let dovecot: DovecotServer
  let smtp: SmtpCapture
  let ctx: Ctx

  beforeAll(async () => {
    dovecot = await startDovecot({ user: SUPPORT, password: 'imap-secret' })
    smtp = await startSmtpCapture()
    const t = await startTestServer({
      publicUrl: PUBLIC_URL,
      outbound: 'none',
      inboxes: [
        {
          name: 'support',
          channel: 'email',
          connector: { ...emailConnector(dovecot, smtp, 'Lamps & Co'), reconnect: { initialDelayMs: 50, maxDelayMs: 500 } },
          csat: csat({ question: 'How did Lamps & Co do?' }),
        },
      ],
    })
    const agent = await userWithToken(t.server, 'Alex')
    ctx = { t, token: agent.token, user: agent.user }
  })
  afterAll(async () => {
    await ctx?.t.cleanup()
    await smtp?.close()
    await dovecot?.cleanup()
  })

  it('mails five rating links; opening one records nothing, posting its form records the rating once', async () => {
    const customer = 'ann@customers.test'
    const raw = await new MailComposer({
      from: `Ann Example <${customer}>`,
      to: SUPPORT,
      subject: 'Lamp arrived broken',
      messageId: '<lamp-1@customers.test>',
      text: 'The shade is cracked.',
    })
      .compile()
      .build()
    dovecot.deliver(raw)
    const profile = await profileOf(ctx, customer)
    const conversationId = profile.conversations[0].id as string
    const customerId = profile.customer.id as string

    const mailsBefore = smtp.received.length
    await setStatus(ctx, conversationId, 'resolved')
    const envelope = await eventually(async () => smtp.received.slice(mailsBefore).find((m) => m.to.includes(customer)), 'the survey email at the SMTP server')
    const mail = await simpleParser(envelope.raw)
    const [survey] = await eventsOf(ctx, customerId, 'csat_requested')
    expect(survey).toMatchObject({ conversationId, data: { channel: 'email', rating: null, tokenHash: expect.stringMatching(/^[0-9a-f]{64}$/) } })

    const linkPattern = new RegExp(`${PUBLIC_URL.replace(/[.]/g, '\\.')}/survey/[^\\s"<>]+`, 'g')
    const textLinks = mail.text?.match(linkPattern) ?? []
    expect(mail.text).toContain('How did Lamps & Co do?')
    expect(textLinks).toHaveLength(5)
    expect(textLinks.map((l) => new URL(l).searchParams.get('rating'))).toEqual(['1', '2', '3', '4', '5'])
    const htmlLinks = [...(typeof mail.html === 'string' ? mail.html : '').matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'))
    expect(htmlLinks).toEqual(textLinks)
    for (const link of textLinks) expect(new URL(link).pathname).toMatch(new RegExp(`^/survey/${survey.id}/[A-Za-z0-9_-]+$`))
    // The token is a secret: the event keeps only its hash.
    const pagePath = new URL(textLinks[3]!).pathname
    expect(JSON.stringify(survey)).not.toContain(pagePath.split('/')[3])

    // Opening the link (as a mail scanner would) shows a form with the rating chosen, and records nothing.
    const opened = await fetch(`${ctx.t.server.url}${pagePath}?rating=4`)
    expect(opened.status).toBe(200)
    expect(opened.headers.get('content-type')).toContain('text/html')
    const page = await opened.text()
    expect(page).toContain('<form method="post"')
    expect(page).toContain('value="4" checked')
    expect(await eventsOf(ctx, customerId, 'csat_answered')).toEqual([])
    expect((await eventsOf(ctx, customerId, 'csat_requested'))[0].data.rating).toBeNull()

    const postRating = (p: string, rating: string) =>
      fetch(`${ctx.t.server.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `rating=${rating}` })
    const invalid = await postRating(pagePath, '9')
    expect(invalid.status).toBe(400)
    const wrongToken = pagePath.replace(/[^/]+$/, 'not-the-token')
    expect((await postRating(wrongToken, '4')).status).toBe(404)
    expect((await fetch(`${ctx.t.server.url}${wrongToken}?rating=4`)).status).toBe(404)
    expect(await eventsOf(ctx, customerId, 'csat_answered')).toEqual([])

    const posted = await postRating(pagePath, '4')
    expect(posted.status).toBe(200)
    const thanks = await posted.text()
    expect(thanks).toContain('Thank you')
    expect(thanks).toContain('You rated us 4 of 5')
    const answers = await eventsOf(ctx, customerId, 'csat_answered')
    expect(answers).toHaveLength(1)
    expect(answers[0]).toMatchObject({ conversationId, data: { surveyId: survey.id, rating: 4, channel: 'email', messageId: null } })
    expect((await eventsOf(ctx, customerId, 'csat_requested'))[0].data).toMatchObject({ rating: 4, answeredAt: expect.any(Number) })
    expect((await conversationOf(ctx, conversationId)).status).toBe('resolved')

    // A survey takes one answer.
    const again = await postRating(pagePath, '1')
    expect(again.status).toBe(409)
    expect(await again.text()).toContain('answered already')
    expect((await fetch(`${ctx.t.server.url}${pagePath}?rating=1`)).status).toBe(409)
    expect(await eventsOf(ctx, customerId, 'csat_answered')).toHaveLength(1)

    expect(await csatReport(ctx, Date.now() - 3_600_000)).toMatchObject({ surveys: 1, answers: 1, promoters: 1, responded: 1 })
  })
})

// ---------------------------------------------------------------------------------------------
// Web chat: the widget's socket protocol.

describe('satisfaction surveys in the web chat', () => {
  const INBOX = 'Website chat'
  const ORIGIN = 'https://shop.example.test'
  type ChatClient = Socket<ChatServerToClientEvents, ChatClientToServerEvents>
  const clients: ChatClient[] = []
  let ctx: Ctx

  beforeAll(async () => {
    const t = await startTestServer({
      publicUrl: PUBLIC_URL,
      inboxes: [
        {
          name: INBOX,
          channel: 'chat',
          connector: { type: 'webchat', secret: 'webchat-test-secret-0123456789abcdef', allowedOrigins: [ORIGIN], title: 'Lamps & Co support' },
          csat: csat({ question: 'How did we do today?' }),
        },
      ],
    })
    const agent = await userWithToken(t.server, 'Alex')
    ctx = { t, token: agent.token, user: agent.user }
  })
  afterAll(async () => {
    for (const c of clients) c.close()
    await ctx?.t.cleanup()
  })

  async function visitor(token?: string): Promise<{ socket: ChatClient; live: ChatMessage[]; session: ChatSession }> {
    const socket: ChatClient = io(ctx.t.server.url, {
      path: CHAT_SOCKET_PATH,
      auth: token ? { inbox: INBOX, token } : { inbox: INBOX },
      transports: ['websocket'],
      reconnection: false,
      extraHeaders: { origin: ORIGIN },
    })
    clients.push(socket)
    const live: ChatMessage[] = []
    socket.on('message', (m, ack) => {
      live.push(m)
      ack?.()
    })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve())
      socket.once('connect_error', reject)
    })
    const session = (await socket.emitWithAck('join', {})) as ChatSession
    expect(session.visitorId).toBeTruthy()
    return { socket, live, session }
  }

  async function conversationWith(text: string): Promise<Json> {
    const list = await get(ctx, '/api/v1/conversations?channel=chat&limit=100')
    for (const c of list.items as Json[]) {
      if ((await messagesOf(ctx, c.id)).some((m) => m.text === text)) return c
    }
    throw new Error(`no chat conversation with "${text}"`)
  }

  it('shows the survey live with its id, takes one rating from its own visitor, and the history keeps it', async () => {
    const ann = await visitor()
    const sent = (await ann.socket.emitWithAck('send', { clientMessageId: randomUUID(), text: 'Is the brass lamp in stock?' })) as SendResponse
    expect(sent.message.from).toBe('visitor')
    const conversation = await conversationWith('Is the brass lamp in stock?')

    await setStatus(ctx, conversation.id, 'resolved')
    const asked = await eventually(async () => ann.live.find((m) => m.survey !== undefined), 'the survey message in the chat')
    expect(asked).toMatchObject({ from: 'agent', authorName: 'Satisfaction survey', text: 'How did we do today?', survey: { rating: null } })
    const surveyId = asked.survey!.id
    const [survey] = await eventsOf(ctx, conversation.customerId, 'csat_requested')
    expect(survey).toMatchObject({ id: surveyId, conversationId: conversation.id, data: { channel: 'chat', messageId: asked.id, rating: null } })

    // Another visitor, with a chat of their own, cannot answer it.
    const bo = await visitor()
    await bo.socket.emitWithAck('send', { clientMessageId: randomUUID(), text: 'Hello from Bo' })
    const stolen = (await bo.socket.emitWithAck('rate', { surveyId, rating: 1 })) as ChatError
    expect(stolen.error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/no such survey/) })
    const outOfRange = (await ann.socket.emitWithAck('rate', { surveyId, rating: 6 } as never)) as ChatError
    expect(outOfRange.error.code).toBe('bad_request')
    expect(await eventsOf(ctx, conversation.customerId, 'csat_answered')).toEqual([])

    const rated = (await ann.socket.emitWithAck('rate', { surveyId, rating: 5 })) as RateResponse
    expect(rated).toEqual({ ok: true, rating: 5 })
    const answers = await eventsOf(ctx, conversation.customerId, 'csat_answered')
    expect(answers).toHaveLength(1)
    expect(answers[0]).toMatchObject({ conversationId: conversation.id, data: { surveyId, rating: 5, channel: 'chat', messageId: null } })
    expect((await conversationOf(ctx, conversation.id)).status).toBe('resolved')

    // A second rating changes nothing: the answer is the rating recorded first (another tab's click, a lost acknowledgement).
    const twice = (await ann.socket.emitWithAck('rate', { surveyId, rating: 3 })) as RateResponse
    expect(twice).toEqual({ ok: true, rating: 5 })
    expect(await eventsOf(ctx, conversation.customerId, 'csat_answered')).toHaveLength(1)

    // Coming back (the token from localStorage), the history shows the survey with its rating.
    const back = await visitor(ann.session.token)
    expect(back.session.visitorId).toBe(ann.session.visitorId)
    expect(back.session.history.map((m) => m.text)).toEqual(['Is the brass lamp in stock?', 'How did we do today?'])
    expect(back.session.history[1]).toMatchObject({ id: asked.id, survey: { id: surveyId, rating: 5 } })
    expect(back.session.history[0]?.survey).toBeUndefined()

    expect(await csatReport(ctx, Date.now() - 3_600_000)).toMatchObject({ surveys: 1, answers: 1, promoters: 1 })
  })
})

// ---------------------------------------------------------------------------------------------

describe('satisfaction survey settings', () => {
  const emailInbox = {
    name: 'support',
    channel: 'email' as const,
    connector: {
      type: 'imap-smtp',
      imap: { host: '127.0.0.1', port: 1, secure: false, user: 'u', password: 'p' },
      smtp: { host: '127.0.0.1', port: 1, secure: false, user: 'u', password: 'p' },
      from: { address: 'support@threadline.test' },
    },
    csat: csat(),
  }
  const dbPath = path.join(os.tmpdir(), `threadline-csat-never-opened-${randomUUID()}.sqlite`)

  it('refuses an email inbox that surveys without publicUrl, naming it, and a voice inbox that surveys', async () => {
    const error = await startServer({ dbPath, port: 0, logLevel: 'silent', inboxes: [emailInbox] }).then(
      () => null,
      (err: Error) => err,
    )
    expect(error?.message).toMatch(/publicUrl \(THREADLINE_PUBLIC_URL\) must say where customers reach it/)
    expect(error?.message).toMatch(/inbox \\?"support\\?": an email survey/)
    // publicUrl alone was missing.
    expect(ServerConfig.safeParse({ dbPath, inboxes: [emailInbox], publicUrl: PUBLIC_URL }).success).toBe(true)
    expect(ServerConfig.safeParse({ dbPath, inboxes: [{ ...emailInbox, csat: undefined }] }).success).toBe(true)

    const voice = { name: 'calls', channel: 'voice' as const, connector: { type: 'voice', authToken: AUTH_TOKEN }, csat: csat() }
    const refused = ServerConfig.safeParse({ dbPath, publicUrl: PUBLIC_URL, inboxes: [voice] })
    expect(refused.success).toBe(false)
    expect(JSON.stringify(refused.error?.issues)).toContain('a voice inbox cannot carry a satisfaction survey')
    expect(ServerConfig.safeParse({ dbPath, publicUrl: PUBLIC_URL, inboxes: [{ ...voice, csat: undefined }] }).success).toBe(true)
  })
})
