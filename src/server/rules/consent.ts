import type { Channel, ConsentPurpose, Customer } from '../../shared/domain'
import type { MessagingRules } from './config'

/**
 * Why the customer's consent forbids this send, or null when it may go. Consent belongs to
 * the customer, not to a channel: an opt-out recorded on SMS stops promotional sends on
 * every channel, and a channel withdrawn as a whole (SMS STOP) stops every send on it.
 */
export function consentRefusal(
  customer: Pick<Customer, 'consent'>,
  channel: Channel,
  purpose: ConsentPurpose,
  rules: Pick<MessagingRules, 'promotionalRequiresOptIn'>,
): string | null {
  const consent = customer.consent
  if (consent[channel] === false) return `the customer has opted out of ${channel} messages`
  if (consent[purpose] === false) return `the customer has opted out of ${purpose} messages`
  if (purpose === 'promotional' && rules.promotionalRequiresOptIn && consent.promotional !== true) {
    return 'the customer has not opted in to promotional messages'
  }
  return null
}
