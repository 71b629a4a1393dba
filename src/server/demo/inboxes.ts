import type { ServerConfig } from '../config'
import { DEMO_INBOXES } from './generate'
import { demoBusinessHours } from './hours'

const hours = demoBusinessHours(Date.now())

/**
 * The inboxes `npm start` configures for the demo, one per channel, each with the business hours
 * its reports are measured in (hours.ts). None talks to a provider (the sandbox connector reports
 * every send delivered); the WhatsApp inbox lists approved templates so the composer offers them
 * outside the 24-hour window, as a real WhatsApp Business inbox would.
 */
export const DEMO_INBOX_CONFIG: ServerConfig['inboxes'] = [
  { name: DEMO_INBOXES.email, channel: 'email', connector: { type: 'sandbox' }, businessHours: hours.email },
  { name: DEMO_INBOXES.chat, channel: 'chat', connector: { type: 'sandbox' }, businessHours: hours.chat },
  { name: DEMO_INBOXES.sms, channel: 'sms', connector: { type: 'sandbox' }, businessHours: hours.sms },
  {
    name: DEMO_INBOXES.whatsapp,
    channel: 'whatsapp',
    connector: { type: 'sandbox' },
    businessHours: hours.whatsapp,
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
  { name: DEMO_INBOXES.voice, channel: 'voice', connector: { type: 'sandbox' }, businessHours: hours.voice },
]
