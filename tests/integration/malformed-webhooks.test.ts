import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { NEVER_RETRIED, REFUSED_WEBHOOK } from '../../src/server/connectors/refused-payload'
import { signBody } from '../../src/server/connectors/whatsapp/signature'
import { api, startTestServer, userWithToken, type TestServer } from './server-fixtures'
import { postTwilioForm } from './support/fake-provider'
import { APP_SECRET, TWILIO_TOKEN, WEBHOOK_PATHS as PATHS, WEBHOOK_PUBLIC_URL as PUBLIC_URL, webhookInboxes } from './support/webhook-inboxes'

let t: TestServer
let supervisor: string

beforeEach(async () => {
  t = await startTestServer(webhookInboxes())
  supervisor = (await userWithToken(t.server, 'Sam', { role: 'supervisor' })).token
})
afterEach(async () => {
  await t.cleanup()
})

const deadLetters = async () => (await api(t.server.url, 'GET', '/api/v1/dead-letters', { token: supervisor })).body.items as unknown[]

/** A refused payload as the dead letters keep it: what was sent, where, and why it was refused; never due again. */
const refused = (url: string, body: unknown, error: RegExp) =>
  expect.objectContaining({ kind: REFUSED_WEBHOOK, payload: { url, body }, error: expect.stringMatching(error), attempts: 1, nextAttemptAt: NEVER_RETRIED })

const twilio = (path: string, params: Record<string, string>, authToken = TWILIO_TOKEN) => postTwilioForm(t.server.url, PUBLIC_URL, path, params, authToken)

async function whatsapp(body: string, appSecret = APP_SECRET) {
  const res = await fetch(t.server.url + PATHS.whatsapp, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, appSecret) },
    body,
  })
  return { status: res.status, body: await res.text() }
}

const sms = { MessageSid: 'SMmedia1', From: '+12025550143', To: '+15005550006', Body: 'photo attached', NumMedia: '1' }

describe('signed webhooks with malformed content', () => {
  it('answers an SMS whose media URL is not a URL with 400 and keeps it in the dead letters', async () => {
    const params = { ...sms, MediaUrl0: 'not a url', MediaContentType0: 'image/jpeg' }
    const res = await twilio(PATHS.sms, params)
    expect(res.status).toBe(400)
    expect(JSON.parse(res.body).error).toEqual({ code: 'bad_request', message: 'malformed SMS webhook: MediaUrl0 must be an http(s) URL, not "not a url"' })
    expect(await deadLetters()).toEqual([refused(PATHS.sms, params, /MediaUrl0/)])
    expect((await t.server.counts()).messages).toBe(0)
  })

  it('refuses SMS media at a URL that is not http(s), which an agent could otherwise open as a link', async () => {
    const params = { ...sms, MessageSid: 'SMmedia2', MediaUrl0: 'javascript:alert(1)' }
    expect((await twilio(PATHS.sms, params)).status).toBe(400)
    expect(await deadLetters()).toEqual([refused(PATHS.sms, params, /MediaUrl0 must be an http\(s\) URL/)])
  })

  it('keeps a malformed SMS status callback and a malformed call webhook', async () => {
    const status = { MessageSid: 'SMx' }
    expect((await twilio(PATHS.smsStatus, status)).status).toBe(400)
    const call = { CallSid: 'CA1', From: '+12025550143', CallStatus: 'completed', RecordingUrl: 'not a url' }
    expect((await twilio(PATHS.voice, call)).status).toBe(400)
    expect(await deadLetters()).toEqual([refused(PATHS.smsStatus, status, /MessageStatus/), refused(PATHS.voice, call, /RecordingUrl/)])
  })

  it('keeps a WhatsApp webhook that fails the ingest, and one that is not JSON', async () => {
    // Meta allows longer profile names than an identity keeps: the payload passes the webhook's
    // own schema and is refused by the ingest's.
    const payload = {
      object: 'whatsapp_business_account',
      entry: [
        {
          changes: [
            {
              field: 'messages',
              value: {
                metadata: { phone_number_id: '106540352242922' },
                contacts: [{ wa_id: '4915112345678', profile: { name: 'n'.repeat(300) } }],
                messages: [{ from: '4915112345678', id: 'wamid.LONGNAME', timestamp: '1700000000', type: 'text', text: { body: 'hi' } }],
              },
            },
          ],
        },
      ],
    }
    const longName = await whatsapp(JSON.stringify(payload))
    expect(longName.status).toBe(400)
    expect(JSON.parse(longName.body).error.message).toMatch(/^malformed WhatsApp webhook: message wamid.LONGNAME: .*from.name/)
    expect((await whatsapp('{not json')).status).toBe(400)
    expect(await deadLetters()).toEqual([refused(PATHS.whatsapp, payload, /from\.name/), refused(PATHS.whatsapp, '{not json', /not JSON/)])
  })

  it('keeps nothing of a webhook whose signature does not match: it may not come from the provider', async () => {
    expect((await twilio(PATHS.sms, { ...sms, MediaUrl0: 'not a url' }, 'someone-elses-token')).status).toBe(403)
    expect((await whatsapp('{not json', 'someone-elses-secret')).status).toBe(401)
    expect(await deadLetters()).toEqual([])
  })
})
