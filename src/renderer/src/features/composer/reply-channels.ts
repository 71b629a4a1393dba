import type { Channel, Conversation, IdentityKind } from '../../../../shared/domain'
import type { CustomerProfile } from '../../../../shared/ipc'
import { whatsappWindow } from '../../../../shared/whatsapp-window'
import { CHANNEL_LABELS } from '../../lib/format'

/** Channels an agent can write on; a call is logged, not replied to. */
export const REPLY_CHANNELS = ['email', 'sms', 'whatsapp', 'chat'] as const satisfies readonly Channel[]
export type ReplyChannel = (typeof REPLY_CHANNELS)[number]

const IDENTITY_FOR: Record<ReplyChannel, IdentityKind> = { email: 'email', sms: 'phone', whatsapp: 'whatsapp', chat: 'chat' }
const MISSING: Record<ReplyChannel, string> = {
  email: 'No email address on file',
  sms: 'No phone number on file',
  whatsapp: 'No WhatsApp number on file',
  chat: 'Never used the web chat',
}

export interface ReplyChannelOption {
  channel: ReplyChannel
  /** The customer's latest conversation on the channel, which a reply continues; null: a new one starts. */
  conversation: Conversation | null
  /** The address a new conversation goes to (the customer's identity on the channel). */
  address: string | null
  enabled: boolean
  /** Why the channel cannot be used, shown beside it. */
  reason: string | null
  /** WhatsApp outside the 24-hour window: only an approved template may be sent. */
  templatesOnly: boolean
}

/**
 * Where a reply can go, with the reason for each channel that cannot take one. `lastInbound`
 * is the customer's latest inbound message time per channel, as far as the cache knows.
 */
export function replyChannels(profile: CustomerProfile, lastInbound: Partial<Record<Channel, number>>, now: number): ReplyChannelOption[] {
  const consent = profile.customer.consent
  return REPLY_CHANNELS.map((channel) => {
    const identity = profile.identities.find((i) => i.kind === IDENTITY_FOR[channel]) ?? (channel === 'whatsapp' ? profile.identities.find((i) => i.kind === 'phone' && hasWhatsApp(profile, i.address)) : undefined)
    const conversation = [...profile.conversations].filter((c) => c.channel === channel).sort((a, b) => b.lastMessageAt - a.lastMessageAt)[0] ?? null
    const base = { channel, conversation, address: identity?.address ?? null, templatesOnly: false }
    if (!identity && !conversation) return { ...base, enabled: false, reason: MISSING[channel] }
    if (consent[channel] === false) return { ...base, enabled: false, reason: `Opted out of ${CHANNEL_LABELS[channel]}` }
    if (consent.transactional === false) return { ...base, enabled: false, reason: 'Opted out of all messages' }
    // A chat reply reaches the visitor only inside their session: without one there is nobody to answer.
    if (channel === 'chat' && !conversation) return { ...base, enabled: false, reason: 'No chat session to answer' }
    if (channel === 'whatsapp' && !whatsappWindow(lastInbound.whatsapp ?? null, now).open) {
      return { ...base, enabled: true, templatesOnly: true, reason: 'Outside the 24-hour window: templates only' }
    }
    return { ...base, enabled: true, reason: null }
  })
}

function hasWhatsApp(profile: CustomerProfile, address: string): boolean {
  return profile.identities.some((i) => i.kind === 'whatsapp' && i.address === address)
}

/** The channel the latest inbound message came by, if the customer can still be answered there. */
export function defaultReplyChannel(options: ReplyChannelOption[], lastInbound: Partial<Record<Channel, number>>): ReplyChannel | null {
  const usable = options.filter((o) => o.enabled && !o.templatesOnly)
  const latest = [...usable].sort((a, b) => (lastInbound[b.channel] ?? -1) - (lastInbound[a.channel] ?? -1))[0]
  return latest?.channel ?? options.find((o) => o.enabled)?.channel ?? null
}
