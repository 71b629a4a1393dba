import type { ServerConfig } from '../config'
import { DEMO_INBOXES } from './generate'

/**
 * The inboxes `npm start` configures for the demo. None talks to a provider (the sandbox
 * connector reports every send delivered); the WhatsApp inbox lists approved templates so the
 * composer offers them outside the 24-hour window, as a real WhatsApp Business inbox would.
 */
export const DEMO_INBOX_CONFIG: ServerConfig['inboxes'] = [
  {
    name: DEMO_INBOXES.whatsapp,
    channel: 'whatsapp',
    connector: { type: 'sandbox' },
    templates: [
      {
        name: 'order_update',
        language: 'en_US',
        parameterCount: 2,
        body: 'Hi {{1}}, an update on your order: {{2}}. Reply to this message if you have any questions.',
      },
      {
        name: 'follow_up',
        language: 'en_US',
        parameterCount: 1,
        body: 'Hi {{1}}, we are following up on your recent request. Is there anything else we can help you with?',
      },
      {
        name: 'appointment_reminder',
        language: 'en_US',
        parameterCount: 2,
        body: 'Hi {{1}}, a reminder of your appointment on {{2}}. Reply YES to confirm or call us to change it.',
      },
    ],
  },
]
