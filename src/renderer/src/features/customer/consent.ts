import type { ConsentKey } from '../../../../shared/domain'
import type { ConsentRecord } from '../../../../shared/consent-history'
import { CHANNEL_LABELS } from '../../lib/format'

/** Purposes first (what a message is for), then the channels a customer can withdraw from as a whole. */
export const CONSENT_KEYS_ORDER: readonly ConsentKey[] = ['transactional', 'promotional', 'email', 'sms', 'whatsapp', 'chat', 'voice']

export const CONSENT_LABELS: Record<ConsentKey, string> = {
  transactional: 'Service messages',
  promotional: 'Marketing',
  chat: 'Chat',
  email: 'Email',
  sms: 'SMS',
  whatsapp: 'WhatsApp',
  voice: 'Calls',
}

/** Where a decision came from, as the history line says it: "Keyword STOP by SMS", "Recorded by Alex Morgan". */
export function consentSourceLabel(record: ConsentRecord): string {
  const by = record.channel ? ` by ${CHANNEL_LABELS[record.channel]}` : ''
  switch (record.source) {
    case 'keyword':
      return `Keyword ${record.keyword ?? ''}${by}`.replace('  ', ' ')
    case 'pre_chat_form':
      return 'Pre-chat form'
    case 'agent':
      return `Recorded by ${record.actorName ?? 'an agent'}`
    case 'integration':
      return `Integration ${record.actorName ?? ''}`.trim()
    case 'channel':
      return `Channel signal${by}`
  }
}
