import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { signBody } from '../../src/server/connectors/whatsapp/signature'
import type { ApprovedTemplate } from '../../src/shared/inbox-settings'
import { api, connectClient, integrationWithToken, startTestServer, userWithToken, type TestServer } from './server-fixtures'
import { eventually } from './support/eventually'
import { startFakeProvider, whatsappGraphApi, type FakeProvider } from './support/fake-provider'

const APP_SECRET = 'whatsapp-app-secret-for-tests'
const ACCESS_TOKEN = 'graph-access-token-for-tests'
const VERIFY_TOKEN = 'verify-me'
const PHONE_ID = '106540352242922'
const PATH = '/webhooks/wa-main/whatsapp'
const CUSTOMER = '4915112345678'
const TEMPLATES: ApprovedTemplate[] = [
  { name: 'order_update', language: 'de', parameterCount: 1, body: 'Ihre Bestellung {{1}} ist unterwegs.' },
  { name: 'order_update', language: 'en_US', parameterCount: 1, body: 'Your order {{1}} is on its way.' },
  { name: 'callback', language: 'en_US', parameterCount: 2, body: 'Hi {{1}}, we will call you back on {{2}}.' },
]

const graphApi = whatsappGraphApi(PHONE_ID, ACCESS_TOKEN)

let provider: FakeProvider
let t: TestServer
let token: string

beforeAll(async () => {
  provider = await startFakeProvider(graphApi)
})
afterAll(async () => {
  await provider.close()
})
beforeEach(async () => {
  provider.requests.length = 0
  t = await startTestServer({
    outbound: 'none',
    inboxes: [
      {
        name: 'wa-main',
        channel: 'whatsapp',
        connector: { type: 'whatsapp-cloud', phoneNumberId: PHONE_ID, accessToken: ACCESS_TOKEN, appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN, graphApiBaseUrl: provider.url },
        templates: TEMPLATES,
      },
      { name: 'wa-empty', channel: 'whatsapp', connector: { type: 'whatsapp-cloud', phoneNumberId: '2', accessToken: 'a', appSecret: 's', verifyToken: 'v', graphApiBaseUrl: provider.url } },
    ],
  })
  token = (await userWithToken(t.server, 'Alex')).token
})
afterEach(async () => {
  await t.cleanup()
})

function webhook(value: Record<string, unknown>) {
  return { object: 'whatsapp_business_account', entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550001111', phone_number_id: PHONE_ID }, ...value } }] }] }
}
const textMessage = (id: string, body: string, at = Math.floor(Date.now() / 1000)) =>
  webhook({ contacts: [{ profile: { name: 'Lena Vogel' }, wa_id: CUSTOMER }], messages: [{ from: CUSTOMER, id, timestamp: String(at), type: 'text', text: { body } }] })

async function post(payload: unknown, options: { signature?: string | null; raw?: string } = {}) {
  const raw = options.raw ?? JSON.stringify(payload)
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  const signature = options.signature === undefined ? signBody(raw, APP_SECRET) : options.signature
  if (signature !== null) headers['x-hub-signature-256'] = signature
  const res = await fetch(t.server.url + PATH, { method: 'POST', headers, body: raw })
  return { status: res.status, body: await res.text() }
}

async function customer() {
  const found = await api(t.server.url, 'GET', `/api/v1/customers?q=${CUSTOMER}`, { token })
  return (await api(t.server.url, 'GET', `/api/v1/customers/${found.body.items[0].id}`, { token })).body
}
async function messages(conversationId: string) {
  return (await api(t.server.url, 'GET', `/api/v1/conversations/${conversationId}/messages?limit=100`, { token })).body.items as Record<string, unknown>[]
}
async function replyAndSettle(conversationId: string, body: Record<string, unknown>) {
  const res = await api(t.server.url, 'POST', `/api/v1/conversations/${conversationId}/reply`, { token, body })
  expect(res.status).toBe(201)
  return eventually(async () => {
    const m = (await messages(conversationId)).find((x) => x.id === res.body.id)
    return m && m.deliveryStatus !== 'queued' ? m : null
  }, 'the reply to leave the queue')
}

describe('WhatsApp Cloud connector', () => {
  it('answers the verify-token handshake, and refuses a wrong token', async () => {
    const ok = await fetch(`${t.server.url}${PATH}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`)
    expect(ok.status).toBe(200)
    expect(await ok.text()).toBe('1158201444')
    const wrong = await fetch(`${t.server.url}${PATH}?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1`)
    expect(wrong.status).toBe(403)
  })

  it('puts text and media messages into the timeline, a retry once', async () => {
    const now = Math.floor(Date.now() / 1000)
    const text = textMessage('wamid.IN1', 'Hallo, wo bleibt meine Bestellung?', now - 3)
    expect((await post(text)).status).toBe(200)
    expect((await post(text)).status).toBe(200)
    const media = webhook({
      messages: [
        { from: CUSTOMER, id: 'wamid.IN2', timestamp: String(now - 2), type: 'image', image: { id: 'MEDIA1', mime_type: 'image/jpeg', caption: 'the box' } },
        { from: CUSTOMER, id: 'wamid.IN3', timestamp: String(now - 1), type: 'document', document: { id: 'MEDIA2', mime_type: 'application/pdf', filename: 'invoice.pdf' } },
      ],
    })
    expect((await post(media)).status).toBe(200)
    const profile = await customer()
    expect(profile.customer.name).toBe('Lena Vogel')
    expect(profile.identities[0]).toMatchObject({ kind: 'whatsapp', address: `+${CUSTOMER}` })
    const items = await messages(profile.conversations[0].id)
    expect(items.map((m) => m.externalId)).toEqual(['wamid.IN1', 'wamid.IN2', 'wamid.IN3'])
    expect(items[1]).toMatchObject({ text: 'the box', attachments: [{ name: 'image-MEDIA1', contentType: 'image/jpeg', url: `${provider.url}/v21.0/MEDIA1` }] })
    expect(items[2]).toMatchObject({ attachments: [{ name: 'invoice.pdf', contentType: 'application/pdf' }] })
  })

  it('refuses a bad signature with 401 before parsing, and a malformed payload with 400', async () => {
    const payload = textMessage('wamid.X', 'hi')
    expect((await post(payload, { signature: signBody(JSON.stringify(payload), 'other-secret') })).status).toBe(401)
    expect((await post(payload, { signature: null })).status).toBe(401)
    // Not even JSON, but unsigned: the signature is checked first.
    expect((await post(null, { raw: '{not json', signature: 'sha256=' + '0'.repeat(64) })).status).toBe(401)
    const notJson = await post(null, { raw: '{not json' })
    expect(notJson.status).toBe(400)
    expect(JSON.parse(notJson.body).error.message).toMatch(/not JSON/)
    const wrongShape = await post({ object: 'page', entry: [] })
    expect(wrongShape.status).toBe(400)
    expect(JSON.parse(wrongShape.body).error.message).toMatch(/malformed WhatsApp webhook/)
    expect((await t.server.counts()).messages).toBe(0)
  })

  it('sends a reply inside the window and follows status events sent → delivered → read', async () => {
    await post(textMessage('wamid.IN10', 'Can I change the address?'))
    const conversationId = (await customer()).conversations[0].id as string
    const sent = await replyAndSettle(conversationId, { text: 'Yes, send me the new one.' })
    expect(sent).toMatchObject({ deliveryStatus: 'sent', externalId: expect.stringMatching(/^wamid\.OUT/) })
    expect(JSON.parse(provider.requests[0]?.body ?? '{}')).toMatchObject({ messaging_product: 'whatsapp', to: CUSTOMER, type: 'text', text: { body: 'Yes, send me the new one.' } })
    const status = (s: string) => webhook({ statuses: [{ id: sent.externalId, status: s, timestamp: '1', recipient_id: CUSTOMER }] })
    await post(status('delivered'))
    await post(status('read'))
    await post(status('delivered'))
    expect((await messages(conversationId)).find((m) => m.id === sent.id)).toMatchObject({ deliveryStatus: 'read' })
  })

  it('outside the 24-hour window refuses free text with the reason, but sends an approved template', async () => {
    const dayAndAHourAgo = Math.floor((Date.now() - 25 * 60 * 60 * 1000) / 1000)
    await post(textMessage('wamid.OLD', 'Thanks!', dayAndAHourAgo))
    const conversationId = (await customer()).conversations[0].id as string
    const refused = await replyAndSettle(conversationId, { text: 'Any news?' })
    expect(refused.deliveryStatus).toBe('failed')
    expect(refused.deliveryError).toMatch(/outside the WhatsApp 24-hour customer-service window.*approved template/)
    expect(provider.requests).toHaveLength(0)

    const template = await replyAndSettle(conversationId, {
      text: 'Order update template',
      template: { name: 'order_update', language: 'de', parameters: ['4711'] },
    })
    expect(template.deliveryStatus).toBe('sent')
    expect(JSON.parse(provider.requests[0]?.body ?? '{}')).toMatchObject({
      type: 'template',
      template: { name: 'order_update', language: { code: 'de' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '4711' }] }] },
    })
    const failed = webhook({ statuses: [{ id: template.externalId, status: 'failed', errors: [{ code: 131026, title: 'Message undeliverable' }] }] })
    await post(failed)
    expect((await messages(conversationId)).find((m) => m.id === template.id)).toMatchObject({
      deliveryStatus: 'failed',
      deliveryError: 'WhatsApp: 131026 Message undeliverable',
    })
  })

  it('refuses a template the inbox has not approved, or with the wrong parameters: failed with the reason, nothing sent', async () => {
    const dayAndAHourAgo = Math.floor((Date.now() - 25 * 60 * 60 * 1000) / 1000)
    await post(textMessage('wamid.OLD2', 'Danke', dayAndAHourAgo))
    const conversationId = (await customer()).conversations[0].id as string

    const unknown = await replyAndSettle(conversationId, { text: 'Promo', template: { name: 'spring_sale', language: 'en_US', parameters: [] } })
    expect(unknown.deliveryStatus).toBe('failed')
    expect(unknown.deliveryError).toMatch(/template "spring_sale" \(en_US\) is not approved for inbox "wa-main" \(approved: "order_update" \(de\), "order_update" \(en_US\), "callback" \(en_US\)\)/)
    // Approved in German and English, not in French.
    const otherLanguage = await replyAndSettle(conversationId, { text: 'x', template: { name: 'order_update', language: 'fr', parameters: ['4711'] } })
    expect(otherLanguage.deliveryError).toMatch(/"order_update" \(fr\) is not approved/)
    const tooFew = await replyAndSettle(conversationId, { text: 'x', template: { name: 'callback', language: 'en_US', parameters: ['Lena'] } })
    expect(tooFew).toMatchObject({ deliveryStatus: 'failed', deliveryError: expect.stringMatching(/"callback" \(en_US\) takes 2 parameter\(s\), 1 given/) })
    const blank = await replyAndSettle(conversationId, { text: 'x', template: { name: 'callback', language: 'en_US', parameters: ['Lena', ' '] } })
    expect(blank.deliveryError).toMatch(/parameter \{\{2\}\} is empty/)
    expect(provider.requests).toHaveLength(0)

    const ok = await replyAndSettle(conversationId, { text: 'Hi Lena, we will call you back on Monday.', template: { name: 'callback', language: 'en_US', parameters: ['Lena', 'Monday'] } })
    expect(ok.deliveryStatus).toBe('sent')
    expect(provider.requests).toHaveLength(1)
  })

  it('refuses every template from an inbox that lists none', async () => {
    const inbound = await api(t.server.url, 'POST', '/api/v1/inbound', {
      token: (await integrationWithToken(t.server, ['wa-empty'])).token,
      body: { channel: 'whatsapp', inbox: 'wa-empty', externalId: 'wamid.E1', from: { kind: 'whatsapp', address: '+4915199999999' }, text: 'Hallo', sentAt: Date.now() - 30 * 60 * 60 * 1000 },
    })
    expect(inbound.status).toBe(201)
    const refused = await replyAndSettle(inbound.body.conversationId as string, { text: 'x', template: { name: 'order_update', language: 'de', parameters: ['1'] } })
    expect(refused.deliveryError).toMatch(/no WhatsApp templates are approved for inbox "wa-empty"/)
    expect(provider.requests).toHaveLength(0)
  })

  it('tells each agent the approved templates of the inboxes they may see, and no secret', async () => {
    const { socket } = await connectClient(t.server.url, token)
    const whoami = (await socket.emitWithAck('whoami', {})) as { inboxes: unknown[] }
    expect(whoami.inboxes).toEqual([
      { name: 'wa-main', channel: 'whatsapp', templates: TEMPLATES },
      { name: 'wa-empty', channel: 'whatsapp', templates: [] },
    ])
    const raw = JSON.stringify(whoami)
    for (const secret of [ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN, PHONE_ID]) expect(raw).not.toContain(secret)
    socket.close()
    const other = await userWithToken(t.server, 'Sam', { inboxes: ['wa-empty'] })
    const { socket: limited } = await connectClient(t.server.url, other.token)
    expect(((await limited.emitWithAck('whoami', {})) as { inboxes: { name: string }[] }).inboxes.map((i) => i.name)).toEqual(['wa-empty'])
    limited.close()
  })
})
