import type { ConsentKey } from '../../../../shared/domain'

/** Purposes first (what a message is for), then the channels a customer can withdraw from as a whole. */
export const CONSENT_KEYS_ORDER: readonly ConsentKey[] = ['transactional', 'promotional', 'email', 'sms', 'whatsapp', 'chat', 'voice']
