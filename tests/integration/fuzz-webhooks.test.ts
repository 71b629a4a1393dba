import fc from 'fast-check'
import twilio from 'twilio'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signBody } from '../../src/server/connectors/whatsapp/signature'
import { integrationWithToken, startTestServer, userWithToken, type TestServer } from './server-fixtures'
import { waitForQuietServer } from './support/sync-harness'
import { APP_SECRET, PHONE_NUMBER_ID, TWILIO_TOKEN, VERIFY_TOKEN, WEBHOOK_PATHS, WEBHOOK_PUBLIC_URL as PUBLIC_URL, webhookInboxes } from './support/webhook-inboxes'

/**
 * Property-based fuzzing of every webhook and the API channel over real HTTP: whatever arrives,
 * signed or not, the server answers below 500, keeps serving, and stores nothing it refused.
 */

const RUNS = 150

const TWILIO_PATHS = [
  WEBHOOK_PATHS.sms,
  WEBHOOK_PATHS.smsStatus,
  WEBHOOK_PATHS.voice,
  `${WEBHOOK_PATHS.voice}/status`,
  `${WEBHOOK_PATHS.voice}/recording`,
  `${WEBHOOK_PATHS.voice}/transcription`,
] as const

let t: TestServer
let integrationToken: string
let agentToken: string

beforeAll(async () => {
  t = await startTestServer(webhookInboxes())
  integrationToken = (await integrationWithToken(t.server, ['default', 'sms-main', 'calls', 'wa-main'])).token
  agentToken = (await userWithToken(t.server, 'Alex')).token
})
afterAll(async () => {
  await t?.cleanup()
})

/** Names that are properties of every plain object: a parser that indexes objects by input must not trip on them. */
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'prototype'] as const

const text = (maxLength = 40) =>
  fc.oneof(fc.string({ maxLength }), fc.string({ unit: 'grapheme', maxLength }), fc.string({ unit: 'binary', maxLength }))

/** Values that reach deeper branches than random text: valid numbers, statuses, URLs, keywords. */
const twilioValue = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '+12025550143',
    '(202) 555-0143',
    '+15005550006',
    'SM00000000000000000000000000000001',
    'CA100',
    '0',
    '1',
    '-1',
    '11',
    '1e3',
    'NaN',
    'ringing',
    'in-progress',
    'completed',
    'no-answer',
    'failed',
    'delivered',
    'undelivered',
    'inbound',
    'outbound-api',
    'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1',
    'javascript:alert(1)',
    'http://',
    'STOP',
    'START',
    'HELP',
    'x'.repeat(600),
    ...PROTOTYPE_NAMES,
  ),
  text(),
)
const PROTOTYPE_FIELDS = fc.constantFrom(...PROTOTYPE_NAMES)

/** Each field Twilio posts, with values valid for it most of the time, so that fuzzing reaches the ingest. */
const fieldOf = (valid: fc.Arbitrary<string>) => fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: twilioValue })
const phone = fc.constantFrom('+12025550143', '(202) 555-0143', '+442071838750', '+15005550006')
const twilioForm = fc.record(
  {
    MessageSid: fieldOf(fc.integer({ min: 1, max: 30 }).map((n) => `SM${n}`)),
    AccountSid: fieldOf(fc.constant('AC1')),
    From: fieldOf(phone),
    To: fieldOf(phone),
    Body: fieldOf(fc.oneof(text(100), fc.constantFrom('STOP', 'start', 'HELP'))),
    NumMedia: fieldOf(fc.integer({ min: 0, max: 3 }).map(String)),
    MediaUrl0: fieldOf(fc.webUrl()),
    MediaContentType0: fieldOf(fc.constantFrom('image/jpeg', 'application/pdf')),
    MessageStatus: fieldOf(fc.constantFrom('queued', 'sent', 'delivered', 'read', 'undelivered', 'failed', 'canceled')),
    ErrorCode: fieldOf(fc.constantFrom('30003', '')),
    ErrorMessage: fieldOf(text()),
    CallSid: fieldOf(fc.integer({ min: 1, max: 30 }).map((n) => `CA${n}`)),
    CallStatus: fieldOf(fc.constantFrom('queued', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'canceled', 'failed')),
    Direction: fieldOf(fc.constantFrom('inbound', 'outbound-api', 'outbound-dial')),
    CallDuration: fieldOf(fc.integer({ min: 0, max: 10_000 }).map(String)),
    RecordingUrl: fieldOf(fc.webUrl()),
    TranscriptionText: fieldOf(text(100)),
    TranscriptionStatus: fieldOf(fc.constantFrom('completed', 'failed')),
  },
  { requiredKeys: [] },
)
/** The form as posted: Twilio's fields, then any others, names repeated or named like object members. */
const twilioEntries = fc
  .tuple(twilioForm, fc.array(fc.tuple(fc.oneof(PROTOTYPE_FIELDS, text(20)), twilioValue), { maxLength: 4 }))
  .map(([form, extra]) => [...Object.entries(form), ...extra])

type Signing = 'signed' | 'unsigned' | 'forged'
const signing = fc.constantFrom<Signing>('signed', 'signed', 'unsigned', 'forged')

type Counts = Awaited<ReturnType<TestServer['server']['counts']>>
/** What a refused request must leave as it was: customers, conversations and messages. */
const stored = ({ customers, conversations, messages }: Counts) => ({ customers, conversations, messages })

async function expectStillServing(): Promise<void> {
  const health = await fetch(`${t.server.url}/health`)
  expect(health.status).toBe(200)
}

/**
 * An accepted item may start work that commits after the answer (an automatic reply is sent
 * and its delivery recorded): the next request's "before" is taken once that has landed.
 */
let followUpsPending = false

/**
 * Posts one fuzzed request and checks the invariants: an answer below 500, /health still up,
 * and nothing stored when the request was unsigned or refused (everything, the change log
 * included, when it was unsigned: it may not come from the provider).
 */
async function checkPost(post: () => Promise<Response>, signed: boolean, mayRefuseSigned?: RegExp): Promise<void> {
  if (followUpsPending) {
    await waitForQuietServer(t.server, 150)
    followUpsPending = false
  }
  const before = await t.server.counts()
  const res = await post()
  const body = await res.text()
  expect(res.status, body).toBeLessThan(500)
  // What the provider signed is never refused as forged, whatever it holds; only a refusal the
  // caller names (an integration posting to an inbox it was not given) may answer 403.
  if (signed && !(res.status === 403 && mayRefuseSigned?.test(body))) expect([401, 403], body).not.toContain(res.status)
  await expectStillServing()
  const after = await t.server.counts()
  if (!signed) expect(after).toEqual(before)
  else if (res.status >= 400) expect(stored(after)).toEqual(stored(before))
  else followUpsPending = true
}

/** The parameters as Twilio signs them: every posted name once, repeated names as a list. */
function signedParams(entries: readonly (readonly [string, string])[]): Record<string, string | string[]> {
  const params = new Map<string, string[]>()
  for (const [k, v] of entries) params.set(k, [...(params.get(k) ?? []), v])
  return Object.fromEntries([...params].map(([k, vs]) => [k, vs.length === 1 ? vs[0]! : vs]))
}

describe('fuzzed Twilio webhooks (SMS, SMS status, voice and its callbacks)', () => {
  it('answers every form below 500 and stores nothing unsigned or refused', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TWILIO_PATHS),
        fc.option(fc.tuple(fc.constantFrom('messageId', 'x', '__proto__'), text(20)), { nil: undefined }),
        twilioEntries,
        signing,
        async (path, query, entries, how) => {
          const target = query ? `${path}?${new URLSearchParams([query])}` : path
          const body = new URLSearchParams(entries.map(([k, v]): [string, string] => [k, v]))
          // Sign what the server will read: the decoded form, as the provider's own signer sees it.
          const decoded = [...new URLSearchParams(body.toString())]
          const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
          if (how === 'signed') headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature(TWILIO_TOKEN, PUBLIC_URL + target, signedParams(decoded))
          if (how === 'forged') headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature('someone-elses-token', PUBLIC_URL + target, signedParams(decoded))
          await checkPost(() => fetch(t.server.url + target, { method: 'POST', headers, body: body.toString() }), how === 'signed')
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('answers any body under any content type below 500 and stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TWILIO_PATHS),
        fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data; boundary=x', ''),
        text(200),
        async (path, contentType, body) => {
          const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {}
          headers['x-twilio-signature'] = 'bm90IGEgc2lnbmF0dXJl'
          await checkPost(() => fetch(t.server.url + path, { method: 'POST', headers, body }), false)
        },
      ),
      { numRuns: RUNS },
    )
  })
})

const json = fc.jsonValue({ maxDepth: 4 })
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined })
const scalar = fc.oneof(text(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null))

/** WhatsApp Cloud API payloads near the real shape, so that fuzzing reaches past the envelope. */
const waMedia = fc.record({ id: fc.oneof(text(), scalar), mime_type: maybe(fc.oneof(text(), fc.constant('image/jpeg; q=1'))), filename: maybe(text()), caption: maybe(text()) }, { requiredKeys: [] })
const waMessage = fc.record(
  {
    from: fc.oneof(fc.constantFrom('4915112345678', '+4915112345678', '0', ''), text(), scalar),
    id: fc.oneof(fc.constantFrom('wamid.A', 'wamid.B'), text()),
    timestamp: fc.oneof(fc.constantFrom('1700000000', '-1', '1e400', '9'.repeat(30)), text(), fc.integer(), fc.double()),
    type: fc.oneof(fc.constantFrom('text', 'image', 'location', 'button', 'interactive', 'reaction', 'unsupported', ...PROTOTYPE_NAMES), text()),
    text: maybe(fc.record({ body: fc.oneof(text(), scalar) }, { requiredKeys: [] })),
    image: maybe(waMedia),
    document: maybe(waMedia),
    location: maybe(fc.record({ latitude: fc.oneof(fc.double(), scalar), longitude: fc.double(), name: maybe(text()), address: maybe(text()) }, { requiredKeys: [] })),
    button: maybe(fc.record({ text: fc.oneof(text(), scalar) })),
    interactive: maybe(fc.record({ button_reply: maybe(fc.record({ title: fc.oneof(text(), scalar) })), list_reply: maybe(fc.record({ title: text() })) }, { requiredKeys: [] })),
    reaction: maybe(fc.record({ emoji: maybe(fc.oneof(text(), scalar)) }, { requiredKeys: [] })),
  },
  { requiredKeys: [] },
)
const waStatus = fc.record(
  {
    id: fc.oneof(fc.constantFrom('wamid.A', 'wamid.OUT1'), text()),
    status: fc.oneof(fc.constantFrom('sent', 'delivered', 'read', 'failed', ...PROTOTYPE_NAMES), text()),
    recipient_id: maybe(text()),
    errors: maybe(fc.array(fc.record({ code: maybe(fc.oneof(fc.integer(), text())), title: maybe(text()), message: maybe(text()) }, { requiredKeys: [] }), { maxLength: 3 })),
  },
  { requiredKeys: [] },
)
const waWebhook = fc.record({
  object: fc.oneof(fc.constant('whatsapp_business_account'), text()),
  entry: fc.array(
    fc.record({
      id: maybe(text()),
      changes: fc.array(
        fc.record({
          field: fc.oneof(fc.constant('messages'), text()),
          value: fc.record(
            {
              messaging_product: maybe(fc.constant('whatsapp')),
              metadata: maybe(fc.record({ phone_number_id: fc.oneof(fc.constant(PHONE_NUMBER_ID), text(), scalar) })),
              contacts: maybe(fc.array(fc.record({ wa_id: fc.oneof(fc.constant('4915112345678'), text()), profile: maybe(fc.record({ name: maybe(fc.oneof(text(), fc.constant('n'.repeat(300)))) }, { requiredKeys: [] })) }), { maxLength: 2 })),
              messages: maybe(fc.array(waMessage, { maxLength: 3 })),
              statuses: maybe(fc.array(waStatus, { maxLength: 3 })),
            },
            { requiredKeys: [] },
          ),
        }),
        { maxLength: 2 },
      ),
    }),
    { maxLength: 2 },
  ),
})

describe('fuzzed WhatsApp webhooks', () => {
  it('answers every body below 500 and stores nothing unsigned or refused', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(waWebhook.map((w) => JSON.stringify(w)), json.map((j) => JSON.stringify(j)), text(200)), signing, async (raw, how) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' }
        if (how === 'signed') headers['x-hub-signature-256'] = signBody(raw, APP_SECRET)
        if (how === 'forged') headers['x-hub-signature-256'] = signBody(raw, 'someone-elses-secret')
        await checkPost(() => fetch(t.server.url + WEBHOOK_PATHS.whatsapp, { method: 'POST', headers, body: raw }), how === 'signed')
      }),
      { numRuns: RUNS },
    )
  })

  it('answers every verification request below 500', async () => {
    const param = fc.tuple(fc.constantFrom('hub.mode', 'hub.verify_token', 'hub.challenge', ...PROTOTYPE_NAMES), fc.oneof(fc.constantFrom('subscribe', VERIFY_TOKEN), text()))
    await fc.assert(
      fc.asyncProperty(fc.array(param, { maxLength: 5 }), async (params) => {
        await checkPost(() => fetch(`${t.server.url}${WEBHOOK_PATHS.whatsapp}?${new URLSearchParams(params)}`), false)
      }),
      { numRuns: RUNS },
    )
  })
})

/** Inbound items near the schema, so that the ingest behind it is reached, not just the validation. */
const contact = fc.record(
  {
    kind: fc.oneof(fc.constantFrom('email', 'phone', 'whatsapp', 'chat'), text()),
    address: fc.oneof(fc.constantFrom('lena@example.test', '+12025550143', '4915112345678', 'visitor-1', 'not an address', ''), text()),
    name: maybe(text()),
    unverified: maybe(fc.oneof(fc.constant('typed_in_chat'), text())),
  },
  { requiredKeys: ['kind', 'address'] },
)
const inboundItem = fc.record(
  {
    channel: fc.oneof(fc.constantFrom('email', 'sms', 'whatsapp', 'chat', 'voice', 'api'), text()),
    inbox: fc.oneof(fc.constantFrom('default', 'sms-main', 'calls', 'wa-main', 'elsewhere'), text()),
    externalId: fc.oneof(fc.uuid(), text()),
    from: contact,
    alsoKnownAs: fc.array(contact, { maxLength: 3 }),
    subject: text(),
    text: text(200),
    html: fc.oneof(fc.constantFrom('<p>hi</p>', '<script>alert(1)</script>', '<div>'.repeat(50), '<a href="javascript:x">x</a>'), text(200)),
    attachments: fc.array(fc.record({ name: text(), contentType: text(), size: fc.oneof(fc.integer(), fc.double()), url: fc.oneof(fc.webUrl(), text()) }, { requiredKeys: [] }), { maxLength: 2 }),
    inReplyTo: text(),
    references: fc.array(text(), { maxLength: 3 }),
    threadKey: text(),
    sentAt: fc.oneof(fc.integer(), fc.double(), fc.constant(Number.MAX_SAFE_INTEGER)),
    call: fc.record(
      {
        status: fc.oneof(fc.constantFrom('ringing', 'in-progress', 'completed'), text()),
        outcome: fc.oneof(fc.constantFrom('answered', 'missed', 'voicemail', 'failed'), text()),
        durationSeconds: fc.oneof(fc.integer(), fc.double()),
        recordingUrl: fc.oneof(fc.webUrl(), text()),
        transcript: text(),
        direction: fc.constantFrom('inbound', 'outbound', 'sideways'),
      },
      { requiredKeys: [] },
    ),
    consent: fc.record({ changes: fc.dictionary(fc.oneof(fc.constantFrom('sms', 'promotional', 'email', ...PROTOTYPE_NAMES), text(10)), fc.oneof(fc.boolean(), scalar)), keyword: maybe(text()) }, { requiredKeys: [] }),
    autoReply: fc.record({ text: text() }),
  },
  { requiredKeys: ['channel', 'externalId'] },
)

describe('fuzzed POST /api/v1/inbound', () => {
  it('answers every body below 500, for an integration, a user and nobody, and stores nothing refused', async () => {
    const caller = fc.constantFrom<'integration' | 'user' | 'nobody'>('integration', 'integration', 'user', 'nobody')
    const body = fc.oneof(inboundItem.map((i) => JSON.stringify(i)), json.map((j) => JSON.stringify(j)), text(200))
    await fc.assert(
      fc.asyncProperty(body, caller, async (raw, who) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' }
        if (who !== 'nobody') headers.authorization = `Bearer ${who === 'integration' ? integrationToken : agentToken}`
        await checkPost(
          () => fetch(`${t.server.url}/api/v1/inbound`, { method: 'POST', headers, body: raw }),
          who === 'integration',
          /may not post to inbox/,
        )
      }),
      { numRuns: RUNS },
    )
  })
})
