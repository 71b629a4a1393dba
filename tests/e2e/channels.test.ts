import { existsSync } from 'node:fs'
import MailComposer from 'nodemailer/lib/mail-composer'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, connectClient, startTestServer, userWithToken, type SyncClient, type TestServer } from '../integration/server-fixtures'
import { eventually } from '../integration/support/eventually'
import { postTwilioForm } from '../integration/support/fake-provider'
import { emailConnector, startDovecot, startSmtpCapture, type DovecotServer, type SmtpCapture } from '../integration/support/mail-servers'
import { CHROMIUM_ARGS, ChatWidgetPage, serveEmbeddingSite, type EmbeddingSite } from './pages/chat-widget-page'
import { signIdentity } from '../../src/server/connectors/webchat/identity-proof'

/**
 * One customer, four channels, one timeline. Maya chats in the widget on the shop's page
 * (Chromium), then emails the support mailbox (Dovecot, read over IMAP), then texts and then
 * calls the support number (Twilio webhooks signed as Twilio signs them). Every item arrives
 * through its connector's real inbound path and lands on the same customer, in order.
 */

const CHROMIUM = process.env.THREADLINE_CHROMIUM ?? '/usr/bin/chromium'
const PUBLIC_URL = 'https://threadline.example.test'
const ACCOUNT = 'AC00000000000000000000000000000009'
const TWILIO_TOKEN = 'twilio-auth-token-for-the-e2e-test'
const SUPPORT_EMAIL = 'support@threadline.test'
const SUPPORT_NUMBER = '+15005550006'
const MAYA = { name: 'Maya Lindqvist', email: 'maya.lindqvist@example.test', phone: '(202) 555-0143' }
/** Shared by the shop's backend and the chat inbox: the shop vouches for its signed-in customers. */
const IDENTITY_SECRET = 'lamps-and-co-backend-identity-secret-0123'

let site: EmbeddingSite
let dovecot: DovecotServer
let smtp: SmtpCapture
let t: TestServer
let token: string
let browser: Browser
let agentApp: SyncClient

// REST response bodies are inspected field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any

const get = async (route: string): Promise<Json> => {
  const res = await api(t.server.url, 'GET', route, { token })
  expect(res.status, `GET ${route}: ${JSON.stringify(res.body)}`).toBe(200)
  return res.body
}

/** Oldest first: the customer's story as the agent reads it. */
const timelineOf = async (customerId: string): Promise<Json[]> =>
  ((await get(`/api/v1/customers/${customerId}/timeline?limit=200`)).items as Json[]).reverse()

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-test-deps.sh`)
  site = await serveEmbeddingSite()
  dovecot = await startDovecot({ user: SUPPORT_EMAIL, password: 'imap-secret' })
  smtp = await startSmtpCapture()
  t = await startTestServer({
    publicUrl: PUBLIC_URL,
    inboxes: [
      {
        name: 'Website chat',
        channel: 'chat',
        connector: { type: 'webchat', secret: 'e2e-webchat-secret-0123456789abcdef', allowedOrigins: [site.origin], identitySecret: IDENTITY_SECRET },
      },
      {
        name: 'support',
        channel: 'email',
        connector: emailConnector(dovecot, smtp, 'Lamps & Co support'),
      },
      {
        name: 'sms',
        channel: 'sms',
        connector: { type: 'twilio-sms', accountSid: ACCOUNT, authToken: TWILIO_TOKEN, from: SUPPORT_NUMBER },
      },
      { name: 'phone', channel: 'voice', connector: { type: 'voice', authToken: TWILIO_TOKEN } },
    ],
  })
  site.setServer(t.server.url, 'Website chat')
  token = (await userWithToken(t.server, 'Alex Morgan')).token
  // An agent has the app open, so the widget offers a live chat rather than the offline form.
  agentApp = (await connectClient(t.server.url, token)).socket
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
})

afterAll(async () => {
  agentApp?.close()
  await browser?.close()
  await t?.cleanup()
  await smtp?.close()
  await dovecot?.cleanup()
  await site?.close()
})

describe('one customer across four channels', () => {
  it('chat, then email, then SMS, then a call: one customer, one timeline, in order', async () => {
    // 1. Chat: she is signed in on the shop's site, which vouches for her email and phone.
    site.signIn({ userId: 'shop-4411', ...MAYA, signature: signIdentity(IDENTITY_SECRET, 'shop-4411', MAYA.email, MAYA.phone) })
    const widget = await ChatWidgetPage.open(browser, site)
    await widget.openChat()
    await widget.send('Hi, my lamp from order #4411 arrived with a cracked shade.')
    const customer = await eventually(
      async () => (await get(`/api/v1/customers?q=${encodeURIComponent(MAYA.email)}`)).items[0],
      'the chat customer',
    )
    await widget.close()

    // 2. Email, read from the support mailbox over IMAP. Its Date header counts whole seconds, so it
    // is written in the next second: sent after the chat, as a person would.
    await new Promise((r) => setTimeout(r, 1_010 - (Date.now() % 1_000)))
    const mail = await new MailComposer({
      from: `${MAYA.name} <${MAYA.email}>`,
      to: SUPPORT_EMAIL,
      subject: 'Photos of the cracked shade',
      text: 'As promised in the chat, here are the details of the damage.',
      messageId: '<photos-4411@example.test>',
    })
      .compile()
      .build()
    dovecot.deliver(mail)
    await eventually(async () => (await timelineOf(customer.id)).some((e) => e.item.channel === 'email'), 'the email in her timeline', 15_000)

    // 3. SMS, through Twilio's signed webhook.
    const sms = await postTwilioForm(t.server.url, PUBLIC_URL, '/webhooks/sms/sms', {
      MessageSid: 'SM4411aaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      AccountSid: ACCOUNT,
      From: '+12025550143',
      To: SUPPORT_NUMBER,
      Body: 'Any news on the replacement shade?',
      NumMedia: '0',
    }, TWILIO_TOKEN)
    expect(sms.status).toBeLessThan(300)

    // 4. A call: ringing, then completed, through Twilio's signed voice webhooks.
    const call = { CallSid: 'CA4411aaaaaaaaaaaaaaaaaaaaaaaaaaaa', AccountSid: ACCOUNT, From: '+12025550143', To: SUPPORT_NUMBER, Direction: 'inbound' }
    const ringing = await postTwilioForm(t.server.url, PUBLIC_URL, '/webhooks/phone/voice', { ...call, CallStatus: 'ringing' }, TWILIO_TOKEN)
    expect(ringing.status).toBeLessThan(300)
    const completed = await postTwilioForm(
      t.server.url,
      PUBLIC_URL,
      '/webhooks/phone/voice/status',
      { ...call, CallStatus: 'completed', CallDuration: '95' },
      TWILIO_TOKEN,
    )
    expect(completed.status).toBeLessThan(300)

    const story = await eventually(async () => {
      const entries = (await timelineOf(customer.id)).filter((e) => e.kind === 'message' || e.kind === 'call')
      return entries.length >= 4 && entries.at(-1)?.item.status === 'completed' ? entries : null
    }, 'all four channels in her timeline', 15_000)

    expect(story.map((e) => (e.kind === 'call' ? 'voice' : e.item.channel))).toEqual(['chat', 'email', 'sms', 'voice'])
    expect(story.map((e) => e.item.customerId)).toEqual([customer.id, customer.id, customer.id, customer.id])
    expect(story[0].item.text).toBe('Hi, my lamp from order #4411 arrived with a cracked shade.')
    expect(story[1].item.subject).toBe('Photos of the cracked shade')
    expect(story[2].item.text).toBe('Any news on the replacement shade?')
    expect(story[3].item).toMatchObject({ status: 'completed', durationSeconds: 95 })

    // One customer record, holding every address she used.
    const profile = await get(`/api/v1/customers/${customer.id}`)
    expect(profile.customer.name).toBe(MAYA.name)
    const addresses = (profile.identities as Json[]).map((i) => `${i.kind}:${i.address}`)
    expect(addresses).toEqual(expect.arrayContaining([`email:${MAYA.email}`, 'phone:+12025550143']))
    expect((await get(`/api/v1/customers?q=${encodeURIComponent('+12025550143')}`)).items).toHaveLength(1)
  })
})
