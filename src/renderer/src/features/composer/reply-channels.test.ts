import { describe, expect, it } from 'vitest'
import type { Conversation, Customer, Identity } from '../../../../shared/domain'
import type { CustomerProfile } from '../../../../shared/ipc'
import { defaultReplyChannel, replyChannels, startChannels } from './reply-channels'

const HOUR = 3_600_000
const now = 100 * HOUR
const customer = (consent: Customer['consent'] = {}) => ({ id: 'c1', name: 'Maya', consent }) as Customer
const identity = (kind: Identity['kind'], address: string) => ({ id: `${kind}-1`, customerId: 'c1', kind, address }) as Identity
const conversation = (id: string, channel: Conversation['channel'], lastMessageAt: number) => ({ id, customerId: 'c1', channel, lastMessageAt }) as Conversation
const profile = (over: Partial<CustomerProfile>): CustomerProfile => ({ customer: customer(), identities: [], conversations: [], ...over })

const emailConversation = conversation('e1', 'email', 10)

describe('replyChannels', () => {
  it('disables channels without an identity, saying which is missing', () => {
    const options = replyChannels(profile({ identities: [identity('email', 'maya@example.test')] }), emailConversation, {}, now)
    expect(options.map((o) => [o.channel, o.enabled, o.reason])).toEqual([
      ['email', true, null],
      ['sms', false, 'No phone number on file'],
      ['whatsapp', false, 'No WhatsApp number on file'],
      ['chat', false, 'Never used the web chat'],
    ])
    expect(options[0]).toMatchObject({ address: 'maya@example.test' })
  })

  it('offers every channel the customer can be reached on from a phone conversation, chat only where they chatted in it', () => {
    const p = profile({ identities: [identity('email', 'maya@example.test'), identity('phone', '+46701234567'), identity('chat', 'visitor-1')] })
    const phone = conversation('p1', 'voice', 10)
    const options = replyChannels(p, phone, {}, now)
    expect(options.map((o) => [o.channel, o.enabled])).toEqual([
      ['email', true],
      ['sms', true],
      ['whatsapp', false],
      ['chat', false],
    ])
    expect(options.find((o) => o.channel === 'chat')?.reason).toBe('No chat session in this conversation')
    expect(replyChannels(p, phone, { chat: now - HOUR }, now).find((o) => o.channel === 'chat')?.enabled).toBe(true)
  })

  it('disables a channel the customer opted out of, and everything after a transactional opt-out', () => {
    const identities = [identity('email', 'maya@example.test'), identity('phone', '+46701234567')]
    const sms = replyChannels(profile({ customer: customer({ sms: false }), identities }), emailConversation, {}, now)
    expect(sms.find((o) => o.channel === 'sms')).toMatchObject({ enabled: false, reason: 'Opted out of SMS' })
    expect(sms.find((o) => o.channel === 'email')).toMatchObject({ enabled: true })
    const all = replyChannels(profile({ customer: customer({ transactional: false }), identities }), emailConversation, {}, now)
    expect(all.filter((o) => o.enabled)).toEqual([])
  })

  it('offers WhatsApp templates only outside the 24-hour window of the customer\'s last WhatsApp message in the conversation', () => {
    const p = profile({ identities: [identity('whatsapp', '+46701234567')] })
    const w = conversation('w1', 'whatsapp', now - 30 * HOUR)
    expect(replyChannels(p, w, { whatsapp: now - 30 * HOUR }, now).find((o) => o.channel === 'whatsapp')).toMatchObject({
      enabled: true,
      templatesOnly: true,
      reason: 'Outside the 24-hour window: templates only',
    })
    expect(replyChannels(p, w, { whatsapp: now - HOUR }, now).find((o) => o.channel === 'whatsapp')).toMatchObject({ templatesOnly: false, reason: null })
    // The customer moved to WhatsApp inside an email conversation an hour ago: free-form there too.
    expect(replyChannels(p, emailConversation, { whatsapp: now - HOUR }, now).find((o) => o.channel === 'whatsapp')).toMatchObject({ templatesOnly: false })
  })
})

describe('defaultReplyChannel', () => {
  const p = profile({ identities: [identity('email', 'maya@example.test'), identity('phone', '+46701234567')] })

  it('is the channel the customer last used in the conversation', () => {
    const sms = conversation('s1', 'sms', 15)
    expect(defaultReplyChannel(replyChannels(p, sms, {}, now), sms, { email: 20 * HOUR })).toBe('sms')
  })

  it('after a call, is where the customer last wrote in the conversation, else the first channel that can take a reply', () => {
    const phone = conversation('p1', 'voice', 15)
    expect(defaultReplyChannel(replyChannels(p, phone, {}, now), phone, { email: 20 * HOUR, sms: 40 * HOUR })).toBe('sms')
    expect(defaultReplyChannel(replyChannels(p, phone, {}, now), phone, {})).toBe('email')
  })
})

describe('startChannels', () => {
  it('offers the channels the customer can be reached on, never the web chat, with the same opt-outs as a reply', () => {
    const p = profile({ customer: customer({ sms: false }), identities: [identity('email', 'maya@example.test'), identity('phone', '+46701234567'), identity('chat', 'visitor-1')] })
    expect(startChannels(p, { chat: now - HOUR }, now).map((o) => [o.channel, o.enabled, o.reason])).toEqual([
      ['email', true, null],
      ['sms', false, 'Opted out of SMS'],
      ['whatsapp', false, 'No WhatsApp number on file'],
    ])
  })

  it("runs WhatsApp's window from the customer's last WhatsApp message in any conversation", () => {
    const p = profile({ identities: [identity('whatsapp', '+46701234567')] })
    expect(startChannels(p, {}, now).find((o) => o.channel === 'whatsapp')).toMatchObject({ enabled: true, templatesOnly: true })
    expect(startChannels(p, { whatsapp: now - HOUR }, now).find((o) => o.channel === 'whatsapp')).toMatchObject({ enabled: true, templatesOnly: false })
  })
})
