import twilio from 'twilio'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { User } from '../../src/shared/domain'
import { api, startTestServer, userWithToken, type TestServer } from './server-fixtures'
import { postTwilioForm } from './support/fake-provider'

const PUBLIC_URL = 'https://threadline.example.test/base'
const AUTH_TOKEN = 'voice-auth-token-for-tests'
const VOICE = '/webhooks/phone/voice'

let t: TestServer
let token: string
let agent: User

beforeEach(async () => {
  t = await startTestServer({
    publicUrl: PUBLIC_URL,
    outbound: 'none',
    inboxes: [{ name: 'phone', channel: 'voice', connector: { type: 'voice', authToken: AUTH_TOKEN } }],
  })
  const created = await userWithToken(t.server, 'Alex')
  token = created.token
  agent = created.user
})
afterEach(async () => {
  await t.cleanup()
})

const post = (path: string, params: Record<string, string>, signature?: string | null) =>
  postTwilioForm(t.server.url, PUBLIC_URL, path, params, AUTH_TOKEN, signature === undefined ? {} : { signature })

const call = (sid: string, status: string, extra: Record<string, string> = {}): Record<string, string> => ({
  CallSid: sid,
  From: '+442071838750',
  To: '+15005550006',
  Direction: 'inbound',
  CallStatus: status,
  ...extra,
})

async function callsOf(phone: string) {
  const found = await api(t.server.url, 'GET', `/api/v1/customers?q=${encodeURIComponent(phone)}`, { token })
  const customerId = found.body.items[0]?.id as string
  const timeline = await api(t.server.url, 'GET', `/api/v1/customers/${customerId}/timeline`, { token })
  return { customerId, calls: (timeline.body.items as { kind: string; item: Record<string, unknown> }[]).filter((e) => e.kind === 'call').map((e) => e.item) }
}

describe('voice connector', () => {
  it('turns ringing, in-progress, completed, recording and transcription webhooks into ONE call record', async () => {
    const ringing = await post(VOICE, call('CA100', 'ringing'))
    expect(ringing.status).toBe(200)
    expect(ringing.body).toContain('<Response>')
    expect((await callsOf('+442071838750')).calls).toEqual([expect.objectContaining({ status: 'ringing', externalId: 'CA100' })])

    expect((await post(`${VOICE}/status`, call('CA100', 'in-progress'))).status).toBe(204)
    expect((await post(`${VOICE}/status`, call('CA100', 'completed', { CallDuration: '184' }))).status).toBe(204)
    const recording = { CallSid: 'CA100', From: '+442071838750', RecordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1' }
    expect((await post(`${VOICE}/recording`, recording)).status).toBe(204)
    const transcription = { ...recording, TranscriptionText: 'Hi, about my invoice', TranscriptionStatus: 'completed', CallStatus: 'completed' }
    expect((await post(`${VOICE}/transcription`, transcription)).status).toBe(204)

    const { calls } = await callsOf('+442071838750')
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({
      status: 'completed',
      outcome: 'answered',
      durationSeconds: 184,
      recordingUrl: recording.RecordingUrl,
      transcript: 'Hi, about my invoice',
      direction: 'inbound',
    })
    expect((await t.server.counts()).conversations).toBe(1)
  })

  it('folds real recording and transcription callbacks (CallSid only, no From/To) into the stored call, and answers 404 before the call is known', async () => {
    // What Twilio posts to a recordingStatusCallback / transcribeCallback: no From, no To.
    const recording = {
      AccountSid: 'AC1',
      CallSid: 'CA700',
      RecordingSid: 'RE700',
      RecordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE700',
      RecordingStatus: 'completed',
      RecordingDuration: '41',
    }
    const early = await post(`${VOICE}/recording`, recording)
    expect(early.status).toBe(404)
    expect(JSON.parse(early.body).error.message).toMatch(/no call CA700 is known yet/)
    expect(await t.server.counts()).toMatchObject({ customers: 0, conversations: 0 })

    await post(VOICE, call('CA700', 'ringing'))
    await post(`${VOICE}/status`, call('CA700', 'completed', { CallDuration: '52' }))
    // Twilio's retry of the refused callback now lands on the call.
    expect((await post(`${VOICE}/recording`, recording)).status).toBe(204)
    const transcription = {
      AccountSid: 'AC1',
      CallSid: 'CA700',
      RecordingSid: 'RE700',
      RecordingUrl: recording.RecordingUrl,
      TranscriptionSid: 'TR700',
      TranscriptionStatus: 'completed',
      TranscriptionText: 'Please call me about the delivery',
    }
    expect((await post(`${VOICE}/transcription`, transcription)).status).toBe(204)

    const { calls } = await callsOf('+442071838750')
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({
      externalId: 'CA700',
      direction: 'inbound',
      status: 'completed',
      outcome: 'answered',
      durationSeconds: 52,
      recordingUrl: recording.RecordingUrl,
      transcript: 'Please call me about the delivery',
    })
    expect(await t.server.counts()).toMatchObject({ customers: 1, conversations: 1 })
  })

  it('gives a call reported straight from initiated/ringing to its end an outcome from CallStatus', async () => {
    await post(VOICE, call('CA800', 'initiated'))
    await post(`${VOICE}/status`, call('CA800', 'completed', { CallDuration: '73' }))
    await post(VOICE, call('CA801', 'ringing'))
    await post(`${VOICE}/status`, call('CA801', 'no-answer', { CallDuration: '0' }))
    await post(VOICE, call('CA802', 'ringing'))
    await post(`${VOICE}/status`, call('CA802', 'busy'))
    await post(VOICE, call('CA803', 'initiated'))
    await post(`${VOICE}/status`, call('CA803', 'failed'))
    const { calls } = await callsOf('+442071838750')
    const outcomes = Object.fromEntries(calls.map((c) => [c.externalId, [c.status, c.outcome]]))
    expect(outcomes).toEqual({
      CA800: ['completed', 'answered'],
      CA801: ['completed', 'missed'],
      CA802: ['completed', 'missed'],
      CA803: ['completed', 'failed'],
    })
  })

  it('ingests provider retries once and never moves a call backwards', async () => {
    await post(VOICE, call('CA200', 'ringing'))
    await post(`${VOICE}/status`, call('CA200', 'completed', { CallDuration: '30' }))
    const before = await t.server.counts()
    const { calls: first } = await callsOf('+442071838750')
    expect((await post(`${VOICE}/status`, call('CA200', 'completed', { CallDuration: '30' }))).status).toBe(204)
    expect((await post(VOICE, call('CA200', 'ringing'))).status).toBe(200)
    const { calls } = await callsOf('+442071838750')
    expect(calls).toEqual(first)
    expect(calls[0]).toMatchObject({ status: 'completed', durationSeconds: 30 })
    expect(await t.server.counts()).toEqual(before)
  })

  it('records a missed call with a recording as a voicemail the team has to answer', async () => {
    await post(VOICE, call('CA300', 'ringing'))
    await post(`${VOICE}/status`, call('CA300', 'no-answer'))
    await post(`${VOICE}/recording`, { CallSid: 'CA300', From: '+442071838750', RecordingUrl: 'https://example.test/rec/CA300' })
    const { customerId, calls } = await callsOf('+442071838750')
    expect(calls[0]).toMatchObject({ status: 'completed', outcome: 'voicemail' })
    const profile = await api(t.server.url, 'GET', `/api/v1/customers/${customerId}`, { token })
    expect(profile.body.conversations[0].waitingSince).toEqual(expect.any(Number))
  })

  it('records calls we place as outbound, on the customer we called, and an unanswered one leaves nobody waiting', async () => {
    // Placed through the REST API (outbound-api): From is our number, To the customer.
    const placed = (sid: string, status: string, extra: Record<string, string> = {}) =>
      call(sid, status, { From: '+15005550006', To: '+442071838750', Direction: 'outbound-api', ...extra })
    expect((await post(VOICE, placed('CA600', 'initiated'))).status).toBe(200)
    expect((await post(`${VOICE}/status`, placed('CA600', 'in-progress'))).status).toBe(204)
    expect((await post(`${VOICE}/status`, placed('CA600', 'completed', { CallDuration: '95' }))).status).toBe(204)
    // Forwarded by <Dial> (outbound-dial), nobody picks up.
    await post(VOICE, placed('CA601', 'ringing', { Direction: 'outbound-dial' }))
    await post(`${VOICE}/status`, placed('CA601', 'no-answer', { Direction: 'outbound-dial' }))
    // A recording callback carries no Direction: it stays the outbound call it belongs to.
    expect((await post(`${VOICE}/recording`, { CallSid: 'CA601', From: '+15005550006', To: '+442071838750', RecordingUrl: 'https://example.test/rec/CA601' })).status).toBe(204)

    const { customerId, calls } = await callsOf('+442071838750')
    const bySid = new Map(calls.map((c) => [c.externalId, c]))
    expect(bySid.get('CA600')).toMatchObject({ direction: 'outbound', status: 'completed', outcome: 'answered', durationSeconds: 95 })
    expect(bySid.get('CA601')).toMatchObject({ direction: 'outbound', status: 'completed', outcome: 'missed' })
    // Our own number never became a customer.
    expect((await t.server.counts()).customers).toBe(1)
    const profile = await api(t.server.url, 'GET', `/api/v1/customers/${customerId}`, { token })
    // The second call came within the hour: the same matter, one conversation, and nobody waits.
    expect(profile.body.conversations.map((c: { waitingSince: number | null }) => c.waitingSince)).toEqual([null])
    expect(new Set(calls.map((c) => c.conversationId)).size).toBe(1)
  })

  it('refuses bad signatures with 403 and malformed payloads with 400, storing nothing', async () => {
    const forged = await post(VOICE, call('CA400', 'ringing'), twilio.getExpectedTwilioSignature('wrong-token', PUBLIC_URL + VOICE, call('CA400', 'ringing')))
    expect(forged.status).toBe(403)
    // Signed for the URL without the public base path: not what Twilio would have signed.
    const wrongUrl = await post(VOICE, call('CA400', 'ringing'), twilio.getExpectedTwilioSignature(AUTH_TOKEN, t.server.url + VOICE, call('CA400', 'ringing')))
    expect(wrongUrl.status).toBe(403)
    const unknownStatus = await post(VOICE, call('CA400', 'teleported'))
    expect(unknownStatus.status).toBe(400)
    expect(JSON.parse(unknownStatus.body).error.message).toMatch(/unknown CallStatus "teleported"/)
    const noSid = await post(VOICE, { From: '+442071838750', CallStatus: 'ringing' })
    expect(noSid.status).toBe(400)
    expect(JSON.parse(noSid.body).error.message).toMatch(/CallSid/)
    expect(await t.server.counts()).toMatchObject({ customers: 0, conversations: 0 })
  })

  it('lets an agent attach notes to the call, and refuses a written reply on a call with the reason', async () => {
    await post(VOICE, call('CA500', 'ringing'))
    await post(`${VOICE}/status`, call('CA500', 'completed', { CallDuration: '60' }))
    const { calls } = await callsOf('+442071838750')
    const callId = calls[0]?.id as string
    const result = await t.server.applyMutation(agent, { name: 'callNote', args: { callId, notes: 'Promised a refund by Friday' } }, { clientId: 'c1', mutationId: 1 })
    expect(result).toEqual({ id: 1, outcome: 'applied' })
    expect((await callsOf('+442071838750')).calls[0]).toMatchObject({ notes: 'Promised a refund by Friday' })
    const unknown = await t.server.applyMutation(agent, { name: 'callNote', args: { callId: 'nope', notes: 'x' } }, { clientId: 'c1', mutationId: 2 })
    expect(unknown).toMatchObject({ outcome: 'rejected', error: 'unknown call nope' })

    const conversationId = calls[0]?.conversationId as string
    // A written reply needs a written channel: refused with the reason, nothing queued.
    const sent = await api(t.server.url, 'POST', `/api/v1/conversations/${conversationId}/reply`, { token, body: { text: 'thanks for calling' } })
    expect(sent).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/last on the phone: choose the channel/) } } })
    const onVoice = await api(t.server.url, 'POST', `/api/v1/conversations/${conversationId}/reply`, { token, body: { text: 'hi', channel: 'voice' } })
    expect(onVoice).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/log the call instead/) } } })
    const messages = await api(t.server.url, 'GET', `/api/v1/conversations/${conversationId}/messages`, { token })
    expect(messages.body.items).toEqual([])
  })
})
