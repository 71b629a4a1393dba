import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { eventually } from './support/eventually'
import { api, startTestServer, userWithToken, type TestServer } from './server-fixtures'

/** Consent across a merge and its undo, through the real server: ingest, mutations, REST and sends. */

let t: TestServer
let agent: Awaited<ReturnType<typeof userWithToken>>

beforeEach(async () => {
  t = await startTestServer({ outbound: 'sandbox' })
  agent = await userWithToken(t.server, 'Ann Merger')
})
afterEach(async () => {
  await t.cleanup()
})

const profile = async (customerId: string) => {
  const res = await api(t.server.url, 'GET', `/api/v1/customers/${customerId}`, { token: agent.token })
  expect(res.status).toBe(200)
  return res.body.customer as { consent: Record<string, boolean>; consentChangedAt?: Record<string, number> | null }
}
const consentOf = async (customerId: string) => {
  const c = await profile(customerId)
  return { consent: c.consent, consentChangedAt: c.consentChangedAt ?? null }
}

async function promotionalReply(conversationId: string) {
  const res = await api(t.server.url, 'POST', `/api/v1/conversations/${conversationId}/reply`, {
    token: agent.token,
    body: { text: '20% off this week', purpose: 'promotional' },
  })
  expect(res.status).toBe(201)
  return eventually(async () => {
    const list = await api(t.server.url, 'GET', `/api/v1/conversations/${conversationId}/messages?limit=100`, { token: agent.token })
    const m = (list.body.items as { id: string; deliveryStatus: string; deliveryError: string | null }[]).find((x) => x.id === res.body.id)
    return m && m.deliveryStatus !== 'queued' ? m : null
  }, 'the promotional reply to be sent or refused')
}

describe('merging customers who answered differently about consent', () => {
  it('keeps the later opt-out with its time, so a late older opt-in cannot undo it, and the undo restores both exactly', async () => {
    const t0 = Date.now() - 60_000
    // Priya opted in to offers by email; a minute later she texted STOP from her phone (a second record).
    const email = await t.server.ingest({
      channel: 'email',
      externalId: '<offers-yes@mail.test>',
      from: { kind: 'email', address: 'priya@example.com', name: 'Priya Shah' },
      text: 'Yes, send me your offers',
      sentAt: t0,
      consent: { changes: { promotional: true } },
    })
    const sms = await t.server.ingest({
      channel: 'sms',
      inbox: 'SMS',
      externalId: 'SM-stop-1',
      from: { kind: 'phone', address: '+14155550111', name: 'P. Shah' },
      text: 'STOP',
      sentAt: t0 + 20_000,
      consent: { changes: { promotional: false, sms: false }, keyword: 'STOP' },
    })
    const [target, source] = [email.customerId, sms.customerId]
    const before = { target: await consentOf(target), source: await consentOf(source) }
    expect(before.target).toEqual({ consent: { promotional: true }, consentChangedAt: { promotional: t0 } })

    const mergeId = 'merge-priya'
    expect((await t.server.applyMutation(agent.user, { name: 'mergeCustomers', args: { mergeId, sourceId: source, targetId: target } })).outcome).toBe('applied')
    expect(await consentOf(target)).toEqual({
      consent: { promotional: false, sms: false },
      consentChangedAt: { promotional: t0 + 20_000, sms: t0 + 20_000 },
    })

    // A START she sent between the two, stored only now (as a dead-letter retry is): her STOP is later and stands.
    await t.server.ingest({
      channel: 'sms',
      inbox: 'SMS',
      externalId: 'SM-start-late',
      from: { kind: 'phone', address: '+14155550111' },
      text: 'START',
      sentAt: t0 + 10_000,
      consent: { changes: { promotional: true, sms: true }, keyword: 'START' },
    })
    expect((await profile(target)).consent).toEqual({ promotional: false, sms: false })
    expect(await promotionalReply(email.conversationId)).toMatchObject({
      deliveryStatus: 'failed',
      deliveryError: 'not sent: the customer has opted out of promotional messages',
    })

    expect((await t.server.applyMutation(agent.user, { name: 'unmergeCustomers', args: { mergeId } })).outcome).toBe('applied')
    expect(await consentOf(target)).toEqual(before.target)
    expect(await consentOf(source)).toEqual(before.source)
    expect(await promotionalReply(email.conversationId)).toMatchObject({ deliveryStatus: expect.stringMatching(/^(sent|delivered)$/), deliveryError: null })
  })
})
