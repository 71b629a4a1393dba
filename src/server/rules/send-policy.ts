import type { Message } from '../../shared/domain'
import type { StoreReader } from '../store/store'
import type { MessagingRules } from './config'
import { consentRefusal } from './consent'
import { sendsInWindow } from './frequency'
import { customerTimeZone, inQuietHours } from './quiet-hours'

const HOUR_MS = 60 * 60_000

/**
 * The messaging rules, checked for one outbound message right before it goes to a provider:
 * consent per purpose and channel, frequency caps, quiet hours. Returns why the message may
 * not be sent, or null. Agent replies are transactional unless marked otherwise.
 */
export async function sendRefusal(store: StoreReader, rules: MessagingRules, message: Message, now: number = Date.now()): Promise<string | null> {
  const customer = await store.getCustomer(message.customerId)
  if (!customer) return `unknown customer ${message.customerId}`
  const purpose = message.purpose ?? 'transactional'
  const consent = consentRefusal(customer, message.channel, purpose, rules)
  if (consent) return `not sent: ${consent}`

  const quiet = rules.quietHours
  if (quiet && quiet.purposes.includes(purpose)) {
    const zone = customerTimeZone(customer, quiet.timeZone)
    if (inQuietHours(now, quiet, zone)) {
      return `not sent: ${purpose} messages are not sent during quiet hours (${quiet.start}–${quiet.end} ${zone})`
    }
  }

  for (const cap of rules.frequencyCaps) {
    if (!cap.purposes.includes(purpose)) continue
    if (cap.channels && !cap.channels.includes(message.channel)) continue
    const sent = await sendsInWindow(store, customer.id, cap, now - cap.windowHours * HOUR_MS, message.id)
    if (sent >= cap.max) {
      const where = cap.channels ? ` on ${cap.channels.join('/')}` : ''
      return `not sent: frequency cap reached (${sent} ${cap.purposes.join('/')} messages${where} in the last ${cap.windowHours} h; at most ${cap.max})`
    }
  }
  return null
}
