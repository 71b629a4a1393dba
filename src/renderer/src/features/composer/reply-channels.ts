import type { Channel, Conversation, IdentityKind } from '../../../../shared/domain'
import type { CustomerProfile, IpcArgs } from '../../../../shared/ipc'
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
  /** The address the reply goes to (the customer's identity on the channel). */
  address: string | null
  enabled: boolean
  /** Why the channel cannot be used, shown beside it. */
  reason: string | null
  /** WhatsApp outside the 24-hour window: only an approved template may be sent. */
  templatesOnly: boolean
}

/**
 * The channels a reply inside `conversation` can go by, with the reason for each that cannot
 * take one: a conversation is the customer's matter on every channel, so an SMS reply from a
 * phone conversation stays in it. `lastInbound` is the customer's latest inbound message time
 * per channel in this conversation, as far as the cache knows. Without a conversation (one
 * about to start), only the customer's identities and what they wrote anywhere count.
 */
export function replyChannels(
  profile: CustomerProfile,
  conversation: Conversation | null,
  lastInbound: Partial<Record<Channel, number>>,
  now: number,
): ReplyChannelOption[] {
  const consent = profile.customer.consent
  return REPLY_CHANNELS.map((channel) => {
    const identity = profile.identities.find((i) => i.kind === IDENTITY_FOR[channel]) ?? (channel === 'whatsapp' ? profile.identities.find((i) => i.kind === 'phone' && hasWhatsApp(profile, i.address)) : undefined)
    const usedHere = conversation?.channel === channel || lastInbound[channel] !== undefined
    const base = { channel, address: identity?.address ?? null, templatesOnly: false }
    if (!identity && !usedHere) return { ...base, enabled: false, reason: MISSING[channel] }
    if (consent[channel] === false) return { ...base, enabled: false, reason: `Opted out of ${CHANNEL_LABELS[channel]}` }
    if (consent.transactional === false) return { ...base, enabled: false, reason: 'Opted out of all messages' }
    // A chat reply reaches the visitor only inside this conversation's own chat session.
    if (channel === 'chat' && !usedHere) return { ...base, enabled: false, reason: 'No chat session in this conversation' }
    if (channel === 'whatsapp' && !whatsappWindow(lastInbound.whatsapp ?? null, now).open) {
      return { ...base, enabled: true, templatesOnly: true, reason: 'Outside the 24-hour window: templates only' }
    }
    return { ...base, enabled: true, reason: null }
  })
}

export type StartChannel = IpcArgs<'conversation.start'>['channel']
export interface StartChannelOption extends ReplyChannelOption {
  channel: StartChannel
}

const startable = (o: ReplyChannelOption): o is StartChannelOption => o.channel !== 'chat'

/**
 * The channels a new conversation with the customer can start on: the same reach, opt-outs and
 * WhatsApp window as a reply, less the web chat, which only the visitor can open.
 * `lastInbound` is the customer's latest inbound message time per channel in any conversation:
 * WhatsApp's window belongs to the customer's number, not to one conversation.
 */
export function startChannels(profile: CustomerProfile, lastInbound: Partial<Record<Channel, number>>, now: number): StartChannelOption[] {
  return replyChannels(profile, null, lastInbound, now).filter(startable)
}

function hasWhatsApp(profile: CustomerProfile, address: string): boolean {
  return profile.identities.some((i) => i.kind === 'whatsapp' && i.address === address)
}

/**
 * The channel the customer last used in the conversation; after a call (or an opt-out there),
 * the one they last wrote on in it, else the first that can take a free-form reply.
 */
export function defaultReplyChannel(
  options: ReplyChannelOption[],
  conversation: Conversation,
  lastInbound: Partial<Record<Channel, number>>,
): ReplyChannel | null {
  const latestUsed = options.find((o) => o.channel === conversation.channel && o.enabled)
  if (latestUsed) return latestUsed.channel
  const usable = options.filter((o) => o.enabled && !o.templatesOnly)
  const latest = [...usable].sort((a, b) => (lastInbound[b.channel] ?? -1) - (lastInbound[a.channel] ?? -1))[0]
  return latest?.channel ?? options.find((o) => o.enabled)?.channel ?? null
}
