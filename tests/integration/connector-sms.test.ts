import twilio from 'twilio'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { api, startTestServer, userWithToken, waitFor, type TestServer } from './server-fixtures'
import { eventually } from './support/eventually'
import { postTwilioForm, startFakeProvider, twilioMessagesApi, type FakeProvider } from './support/fake-provider'

const PUBLIC_URL = 'https://threadline.example.test'
const ACCOUNT = 'AC00000000000000000000000000000001'
const AUTH_TOKEN = 'twilio-auth-token-for-tests'
const INBOX_NUMBER = '+15005550006'
const SMS_PATH = '/webhooks/sms-main/sms'
const STATUS_PATH = '/webhooks/sms-main/sms/status'

let provider: FakeProvider
let t: TestServer
let token: string

beforeAll(async () => {
  provider = await startFakeProvider(twilioMessagesApi(ACCOUNT, AUTH_TOKEN))
})
afterAll(async () => {
  await provider.close()
})

beforeEach(async () => {
  provider.requests.length = 0
  provider.answer(twilioMessagesApi(ACCOUNT, AUTH_TOKEN))
  t = await startTestServer({
    publicUrl: PUBLIC_URL,
    // The sandbox serves the other channels (email here); SMS goes through the inbox's own connector.
    outbound: 'sandbox',
    inboxes: [
      {
        name: 'sms-main',
        channel: 'sms',
        connector: { type: 'twilio-sms', accountSid: ACCOUNT, authToken: AUTH_TOKEN, from: INBOX_NUMBER, apiBaseUrl: provider.url },
      },
    ],
  })
  token = (await userWithToken(t.server, 'Alex')).token
})
afterEach(async () => {
  await t.cleanup()
})

let sidSeq = 0
const nextSid = () => `SM${(++sidSeq).toString().padStart(32, 'a')}`

function inbound(body: string, extra: Record<string, string> = {}): Record<string, string> {
  return { MessageSid: nextSid(), AccountSid: ACCOUNT, From: '(202) 555-0143', To: INBOX_NUMBER, Body: body, NumMedia: '0', ...extra }
}

const post = (path: string, params: Record<string, string>, options?: { signature?: string | null }) =>
  postTwilioForm(t.server.url, PUBLIC_URL, path, params, AUTH_TOKEN, options)

async function timelineOf(customerId: string) {
  const res = await api(t.server.url, 'GET', `/api/v1/customers/${customerId}/timeline?limit=100`, { token })
  expect(res.status).toBe(200)
  return res.body.items as { kind: string; item: Record<string, unknown> }[]
}

async function customerByPhone(phone: string) {
  const res = await api(t.server.url, 'GET', `/api/v1/customers?q=${encodeURIComponent(phone)}`, { token })
  const id = res.body.items[0]?.id as string | undefined
  if (!id) throw new Error(`no customer with ${phone}`)
  return (await api(t.server.url, 'GET', `/api/v1/customers/${id}`, { token })).body
}


/** The agent's reply through the REST API (the same mutation the app sends). */
async function reply(conversationId: string, text: string, extra: Record<string, unknown> = {}) {
  const res = await api(t.server.url, 'POST', `/api/v1/conversations/${conversationId}/reply`, { token, body: { text, ...extra } })
  expect(res.status).toBe(201)
  return res.body.id as string
}

async function messageState(conversationId: string, id: string) {
  const res = await api(t.server.url, 'GET', `/api/v1/conversations/${conversationId}/messages?limit=100`, { token })
  return (res.body.items as { id: string; deliveryStatus: string; deliveryError: string | null; externalId: string | null }[]).find(
    (m) => m.id === id,
  )
}

describe('Twilio SMS connector', () => {
  it('puts a signed inbound SMS with media into the customer timeline, sender normalized to E.164', async () => {
    const params = inbound('My parcel never arrived, photo attached', {
      NumMedia: '1',
      MediaUrl0: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME123',
      MediaContentType0: 'image/jpeg',
    })
    const res = await post(SMS_PATH, params)
    expect(res.status).toBe(200)
    expect(res.body).toContain('<Response>')

    const profile = await customerByPhone('+12025550143')
    expect(profile.identities).toEqual([expect.objectContaining({ kind: 'phone', address: '+12025550143' })])
    const items = await timelineOf(profile.customer.id)
    expect(items).toHaveLength(1)
    expect(items[0]?.item).toMatchObject({
      channel: 'sms',
      direction: 'inbound',
      text: 'My parcel never arrived, photo attached',
      externalId: params.MessageSid,
      attachments: [{ name: 'ME123', contentType: 'image/jpeg', url: params.MediaUrl0 as string }],
    })
    expect(profile.conversations[0]).toMatchObject({ channel: 'sms', inbox: 'sms-main' })
  })

  it('ingests a provider retry of the same MessageSid once', async () => {
    const params = inbound('Is the shop open on Sunday?')
    expect((await post(SMS_PATH, params)).status).toBe(200)
    const before = await t.server.counts()
    expect((await post(SMS_PATH, params)).status).toBe(200)
    expect((await post(SMS_PATH, { ...params, Body: 'a retry carries the same sid' })).status).toBe(200)
    expect(await t.server.counts()).toEqual(before)
    expect(before.messages).toBe(1)
  })

  it('refuses a bad, missing or replayed-elsewhere signature with 403 and stores nothing', async () => {
    const params = inbound('forged')
    const wrong = await post(SMS_PATH, params, { signature: 'bm90IGEgc2lnbmF0dXJl' })
    expect(wrong.status).toBe(403)
    expect(JSON.parse(wrong.body).error.message).toMatch(/X-Twilio-Signature does not match/)
    const missing = await post(SMS_PATH, params, { signature: null })
    expect(missing.status).toBe(403)
    expect(JSON.parse(missing.body).error.message).toMatch(/missing X-Twilio-Signature/)
    // Signed correctly, but for other parameters than the ones posted.
    const tampered = await postTwilioForm(t.server.url, PUBLIC_URL, SMS_PATH, params, AUTH_TOKEN, {
      signature: twilio.getExpectedTwilioSignature(AUTH_TOKEN, PUBLIC_URL + SMS_PATH, { ...params, Body: 'original' }),
    })
    expect(tampered.status).toBe(403)
    const otherToken = await postTwilioForm(t.server.url, PUBLIC_URL, SMS_PATH, params, 'someone-elses-token')
    expect(otherToken.status).toBe(403)
    expect((await t.server.counts()).messages).toBe(0)
  })

  it('answers a signed but malformed payload with 400 and the reason', async () => {
    const noSender = inbound('hello')
    delete (noSender as Record<string, string>).From
    const res = await post(SMS_PATH, noSender)
    expect(res.status).toBe(400)
    expect(JSON.parse(res.body).error.message).toMatch(/malformed SMS webhook: .*From/s)

    const badNumber = await post(SMS_PATH, inbound('hello', { From: 'not-a-number' }))
    expect(badNumber.status).toBe(400)
    expect(JSON.parse(badNumber.body).error.message).toMatch(/not a phone number/)

    const json = await fetch(t.server.url + SMS_PATH, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(json.status).toBe(415)
    expect((await t.server.counts()).messages).toBe(0)
  })

  it('sends a reply through the REST API and follows status callbacks to delivered, never backwards', async () => {
    await post(SMS_PATH, inbound('Can you call me back?'))
    const profile = await customerByPhone('+12025550143')
    const conversationId = profile.conversations[0].id as string
    const id = await reply(conversationId, 'Sure, in ten minutes.')

    const sent = await eventually(async () => {
      const m = await messageState(conversationId, id)
      return m?.deliveryStatus === 'sent' ? m : null
    }, 'the reply to be sent')
    expect(sent.externalId).toMatch(/^SM/)
    const request = provider.requests.find((r) => r.path.endsWith('/Messages.json'))
    expect(request).toBeDefined()
    const form = new URLSearchParams(request?.body)
    expect(form.get('To')).toBe('+12025550143')
    expect(form.get('From')).toBe(INBOX_NUMBER)
    expect(form.get('Body')).toBe('Sure, in ten minutes.')
    const callback = form.get('StatusCallback') ?? ''
    expect(callback).toBe(`${PUBLIC_URL}${STATUS_PATH}?messageId=${id}`)

    const callbackPath = callback.slice(PUBLIC_URL.length)
    const status = (s: string) => ({ MessageSid: sent.externalId as string, MessageStatus: s, AccountSid: ACCOUNT })
    expect((await post(callbackPath, status('delivered'))).status).toBe(204)
    expect((await messageState(conversationId, id))?.deliveryStatus).toBe('delivered')
    // A late "sent" after "delivered" does not move it back.
    expect((await post(callbackPath, status('sent'))).status).toBe(204)
    expect((await messageState(conversationId, id))?.deliveryStatus).toBe('delivered')
    // An unsigned callback changes nothing.
    expect((await post(callbackPath, status('failed'), { signature: 'x' })).status).toBe(403)
    expect((await messageState(conversationId, id))?.deliveryStatus).toBe('delivered')
  })

  it('records undelivered with the carrier error, and a provider refusal as failed', async () => {
    await post(SMS_PATH, inbound('hi'))
    const conversationId = (await customerByPhone('+12025550143')).conversations[0].id as string
    const first = await reply(conversationId, 'one')
    const sent = await eventually(async () => {
      const m = await messageState(conversationId, first)
      return m?.deliveryStatus === 'sent' ? m : null
    }, 'sent')
    await post(STATUS_PATH, { MessageSid: sent.externalId as string, MessageStatus: 'undelivered', ErrorCode: '30003', ErrorMessage: 'Unreachable handset' })
    expect(await messageState(conversationId, first)).toMatchObject({
      deliveryStatus: 'failed',
      deliveryError: 'SMS undelivered (Twilio error 30003: Unreachable handset)',
    })

    provider.answer(() => ({ status: 400, body: { code: 21211, message: "The 'To' number is not a valid phone number." } }))
    const second = await reply(conversationId, 'two')
    const failed = await eventually(async () => {
      const m = await messageState(conversationId, second)
      return m?.deliveryStatus === 'failed' ? m : null
    }, 'the refused send to be failed')
    expect(failed.deliveryError).toMatch(/refused the message \(HTTP 400, error 21211/)
  })

  it('STOP withdraws SMS and promotional consent on every channel, START restores them, both in the timeline', async () => {
    await post(SMS_PATH, inbound('Hello'))
    // The same customer also writes by email (linked through the API channel).
    await t.server.ingest({
      channel: 'email',
      inbox: 'support',
      externalId: '<e1@mail>',
      from: { kind: 'email', address: 'pat@example.com' },
      alsoKnownAs: [{ kind: 'phone', address: '+12025550143' }],
      subject: 'Order',
      text: 'see my text',
    })
    expect((await post(SMS_PATH, inbound('Stop'))).status).toBe(200)
    let profile = await customerByPhone('+12025550143')
    expect(profile.customer.consent).toEqual({ promotional: false, sms: false })
    // The email joined the open SMS conversation (one matter); replies choose their channel in it.
    expect(profile.conversations).toHaveLength(1)
    const sms = profile.conversations[0]
    const email = sms
    let items = await timelineOf(profile.customer.id)
    expect(items.some((e) => e.kind === 'message' && e.item.text === 'Stop')).toBe(true)
    expect(items.find((e) => e.kind === 'event')?.item).toMatchObject({
      type: 'consent_changed',
      conversationId: sms.id,
      // The connector that carried the customer's STOP is named as who made the change.
      data: { channel: 'sms', keyword: 'STOP', changes: { promotional: false, sms: false }, actor: 'connector:twilio-sms:sms-main' },
    })

    const smsReply = await reply(sms.id, 'Sorry to see you go', { channel: 'sms' })
    const promo = await reply(email.id, '20% off this week', { channel: 'email', purpose: 'promotional' })
    const transactional = await reply(email.id, 'Your order has shipped', { channel: 'email' })
    await eventually(async () => (await messageState(email.id, transactional))?.deliveryStatus === 'delivered', 'the transactional email')
    expect(await messageState(sms.id, smsReply)).toMatchObject({ deliveryStatus: 'failed', deliveryError: 'not sent: the customer has opted out of sms messages' })
    expect(await messageState(email.id, promo)).toMatchObject({
      deliveryStatus: 'failed',
      deliveryError: 'not sent: the customer has opted out of promotional messages',
    })
    expect(provider.requests).toHaveLength(0)

    await post(SMS_PATH, inbound('UNSTOP'))
    profile = await customerByPhone('+12025550143')
    expect(profile.customer.consent).toEqual({ promotional: true, sms: true })
    items = await timelineOf(profile.customer.id)
    expect(items.filter((e) => e.kind === 'event' && e.item.type === 'consent_changed')).toHaveLength(2)
    const again = await reply(sms.id, 'Welcome back', { channel: 'sms' })
    await eventually(async () => (await messageState(sms.id, again))?.deliveryStatus === 'sent', 'the SMS after START')
    expect(provider.requests).toHaveLength(1)
  })

  it('applies a STOP delivered twice once: one consent change, and a retry after START does not opt out again', async () => {
    const stop = inbound('STOP')
    expect((await post(SMS_PATH, stop)).status).toBe(200)
    expect((await post(SMS_PATH, stop)).status).toBe(200)
    const consentEvents = async (customerId: string) =>
      (await timelineOf(customerId)).filter((e) => e.kind === 'event' && e.item.type === 'consent_changed')
    let profile = await customerByPhone('+12025550143')
    expect(profile.customer.consent).toEqual({ promotional: false, sms: false })
    expect(await consentEvents(profile.customer.id)).toHaveLength(1)
    expect((await t.server.counts()).messages).toBe(1)

    await post(SMS_PATH, inbound('START'))
    expect((await post(SMS_PATH, stop)).status).toBe(200)
    profile = await customerByPhone('+12025550143')
    expect(profile.customer.consent).toEqual({ promotional: true, sms: true })
    expect(await consentEvents(profile.customer.id)).toHaveLength(2)
  })

  it('dates an inbound SMS at its arrival, and lets the later of a STOP and a START win whatever order they are stored in', async () => {
    const before = Date.now()
    await post(SMS_PATH, inbound('START'))
    const after = Date.now()
    let profile = await customerByPhone('+12025550143')
    const consentEvents = async () =>
      (await timelineOf(profile.customer.id)).filter((e) => e.kind === 'event' && String(e.item.type).startsWith('consent_')).map((e) => e.item)
    const startMessage = (await timelineOf(profile.customer.id)).find((e) => e.kind === 'message')?.item
    expect(startMessage?.sentAt).toBeGreaterThanOrEqual(before)
    expect(startMessage?.sentAt).toBeLessThanOrEqual(after)
    expect(profile.customer.consentChangedAt).toEqual({ promotional: startMessage?.sentAt, sms: startMessage?.sentAt })

    // A STOP the customer sent before that START, stored only now (as a late item is).
    await t.server.ingest({
      channel: 'sms',
      inbox: 'sms-main',
      externalId: nextSid(),
      from: { kind: 'phone', address: '+12025550143' },
      text: 'STOP',
      sentAt: before - 60_000,
      consent: { changes: { promotional: false, sms: false }, keyword: 'STOP' },
    })
    profile = await customerByPhone('+12025550143')
    expect(profile.customer.consent).toEqual({ promotional: true, sms: true })
    expect((await t.server.counts()).messages).toBe(2)
    const events = await consentEvents()
    expect(events).toHaveLength(2)
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'consent_superseded', data: expect.objectContaining({ keyword: 'STOP', requested: { promotional: false, sms: false } }) }),
        expect.objectContaining({ type: 'consent_changed', data: expect.objectContaining({ keyword: 'START' }) }),
      ]),
    )

    // A STOP sent after the START still opts out.
    await post(SMS_PATH, inbound('STOP'))
    profile = await customerByPhone('+12025550143')
    expect(profile.customer.consent).toEqual({ promotional: false, sms: false })
  })

  it('answers HELP with the help text as an outbound message in the timeline', async () => {
    const help = inbound('help')
    await post(SMS_PATH, help)
    await waitFor(() => provider.requests.length === 1, 'the help reply')
    expect(new URLSearchParams(provider.requests[0]?.body).get('Body')).toMatch(/Reply STOP to unsubscribe/)
    // A retried HELP webhook does not answer twice.
    await post(SMS_PATH, help)
    const profile = await customerByPhone('+12025550143')
    const messages = await eventually(async () => {
      const items = (await timelineOf(profile.customer.id)).filter((e) => e.kind === 'message').map((e) => e.item)
      return items.some((m) => m.deliveryStatus === 'sent') ? items : null
    }, 'the help reply to be recorded as sent')
    expect(messages).toHaveLength(2)
    expect(messages).toContainEqual(expect.objectContaining({ direction: 'outbound', authorName: 'Automatic reply', deliveryStatus: 'sent' }))
    expect(messages).toContainEqual(expect.objectContaining({ direction: 'inbound', text: 'help' }))
    expect(provider.requests).toHaveLength(1)
  })

  it('keeps the auth token out of REST responses', async () => {
    await post(SMS_PATH, inbound('hi'))
    const profile = await customerByPhone('+12025550143')
    const all = JSON.stringify([profile, await timelineOf(profile.customer.id)])
    expect(all).not.toContain(AUTH_TOKEN)
  })
})
