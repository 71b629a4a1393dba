import { actorKind, type Actor } from '../../shared/actors'
import { AuditDetails, type AuditOrigin } from '../../shared/audit'
import type { ConsentKey, Customer } from '../../shared/domain'
import { CHANNEL_ORIGIN, SERVER_ORIGIN } from './origin'

/** Where a consent change came from when its caller did not say: a connector carried the customer's own word. */
export function consentOrigin(actor: Actor): AuditOrigin {
  switch (actorKind(actor)) {
    case 'connector':
      return CHANNEL_ORIGIN
    case 'integration':
      return { ...SERVER_ORIGIN, via: 'integration' }
    case 'user':
      return { ...SERVER_ORIGIN, via: 'app' }
    default:
      return SERVER_ORIGIN
  }
}

/**
 * The audit details of a consent change: the keys and values, and of its source only what the
 * closed set allows (the channel, the keyword, the message's id). An agent's note stays in the
 * consent history, out of the log.
 */
export function consentAuditDetails(
  changed: readonly [ConsentKey, boolean][],
  before: Customer['consent'],
  source: Record<string, unknown>,
): AuditDetails {
  const pick = (key: 'channel' | 'keyword' | 'messageId'): AuditDetails => {
    const parsed = AuditDetails.shape[key].safeParse(source[key])
    return parsed.success && parsed.data !== undefined ? { [key]: parsed.data } : {}
  }
  return {
    consent: Object.fromEntries(changed),
    previousConsent: Object.fromEntries(changed.map(([key]) => [key, before[key] ?? null])),
    ...pick('channel'),
    ...pick('keyword'),
    ...pick('messageId'),
  }
}
