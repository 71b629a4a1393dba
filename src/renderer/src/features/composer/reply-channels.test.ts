import { describe, expect, it } from 'vitest'
import type { Conversation, Customer, Identity } from '../../../../shared/domain'
import type { CustomerProfile } from '../../../../shared/ipc'
import { defaultReplyChannel, replyChannels } from './reply-channels'

const HOUR = 3_600_000
const now = 100 * HOUR
const customer = (consent: Customer['consent'] = {}) => ({ id: 'c1', name: 'Maya', consent }) as Customer
const identity = (kind: Identity['kind'], address: string) => ({ id: `${kind}-1`, customerId: 'c1', kind, address }) as Identity
const conversation = (id: string, channel: Conversation['channel'], lastMessageAt: number) => ({ id, customerId: 'c1', channel, lastMessageAt }) as Conversation
const profile = (over: Partial<CustomerProfile>): CustomerProfile => ({ customer: customer(), identities: [], conversations: [], ...over })

describe('replyChannels', () => {
  it('disables channels without an identity, saying which is missing', () => {
    const options = replyChannels(profile({ identities: [identity('email', 'maya@example.test')] }), {}, now)
    expect(options.map((o) => [o.channel, o.enabled, o.reason])).toEqual([
      ['email', true, null],
      ['sms', false, 'No phone number on file'],
      ['whatsapp', false, 'No WhatsApp number on file'],
      ['chat', false, 'Never used the web chat'],
    ])
    expect(options[0]).toMatchObject({ conversation: null, address: 'maya@example.test' })
  })

  it('disables a channel the customer opted out of, and everything after a transactional opt-out', () => {
    const identities = [identity('email', 'maya@example.test'), identity('phone', '+46701234567')]
    const sms = replyChannels(profile({ customer: customer({ sms: false }), identities }), {}, now)
    expect(sms.find((o) => o.channel === 'sms')).toMatchObject({ enabled: false, reason: 'Opted out of SMS' })
    expect(sms.find((o) => o.channel === 'email')).toMatchObject({ enabled: true })
    const all = replyChannels(profile({ customer: customer({ transactional: false }), identities }), {}, now)
    expect(all.filter((o) => o.enabled)).toEqual([])
  })

  it('offers WhatsApp templates only outside the 24-hour window', () => {
    const p = profile({ identities: [identity('whatsapp', '+46701234567')], conversations: [conversation('w1', 'whatsapp', now - 30 * HOUR)] })
    expect(replyChannels(p, { whatsapp: now - 30 * HOUR }, now).find((o) => o.channel === 'whatsapp')).toMatchObject({
      enabled: true,
      templatesOnly: true,
      reason: 'Outside the 24-hour window: templates only',
    })
    expect(replyChannels(p, { whatsapp: now - HOUR }, now).find((o) => o.channel === 'whatsapp')).toMatchObject({ templatesOnly: false, reason: null })
  })

  it('continues the latest conversation on a channel, and defaults to where the customer last wrote', () => {
    const p = profile({
      identities: [identity('email', 'maya@example.test'), identity('phone', '+46701234567')],
      conversations: [conversation('e-old', 'email', 10), conversation('e-new', 'email', 20), conversation('s1', 'sms', 15)],
    })
    const options = replyChannels(p, { email: 20 * HOUR, sms: 40 * HOUR }, now)
    expect(options.find((o) => o.channel === 'email')?.conversation?.id).toBe('e-new')
    expect(defaultReplyChannel(options, { email: 20 * HOUR, sms: 40 * HOUR })).toBe('sms')
    expect(defaultReplyChannel(options, {})).toBe('email')
  })
})
