import type { ServerConfig } from '../config'
import { DEMO_INBOXES } from './generate'
import { demoBusinessHours } from './hours'
import { CsatSettings } from '../csat/settings'

const hours = demoBusinessHours(Date.now())
const CSAT = CsatSettings.parse({})

/**
 * The inboxes `npm start` configures for the demo, one per channel, each with the business hours
 * its reports are measured in (hours.ts), and all but the phone asking customers to rate a
 * resolved conversation. None talks to a provider (the sandbox connector reports every send
 * delivered); the WhatsApp inbox lists approved templates so the composer offers them outside
 * the 24-hour window, as a real WhatsApp Business inbox would.
 */
const DEMO_INBOX_CONFIG: ServerConfig['inboxes'] = [
  { name: DEMO_INBOXES.email, channel: 'email', connector: { type: 'sandbox' }, businessHours: hours.email, csat: CSAT },
  { name: DEMO_INBOXES.chat, channel: 'chat', connector: { type: 'sandbox' }, businessHours: hours.chat, csat: CSAT },
  { name: DEMO_INBOXES.sms, channel: 'sms', connector: { type: 'sandbox' }, businessHours: hours.sms, csat: CSAT },
  {
    name: DEMO_INBOXES.whatsapp,
    channel: 'whatsapp',
    connector: { type: 'sandbox' },
    businessHours: hours.whatsapp,
    csat: CSAT,
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

/**
 * Service levels as a support team sets them, in business minutes of each inbox: quickest on the
 * chat, a working day by email, and urgent conversations answered within the hour wherever they
 * come in.
 */
const DEMO_SLA_POLICIES: ServerConfig['slaPolicies'] = [
  { name: 'Urgent, any inbox', priorities: ['urgent'], firstResponseMinutes: 60, nextResponseMinutes: 120, resolutionMinutes: 480 },
  { name: 'Website chat', inboxes: [DEMO_INBOXES.chat], firstResponseMinutes: 30, nextResponseMinutes: 60, resolutionMinutes: 1440 },
  { name: 'Support email', inboxes: [DEMO_INBOXES.email], firstResponseMinutes: 480, nextResponseMinutes: 960, resolutionMinutes: 2880 },
  { name: 'Texts', inboxes: [DEMO_INBOXES.sms, DEMO_INBOXES.whatsapp], firstResponseMinutes: 240, nextResponseMinutes: 480, resolutionMinutes: 1440 },
]

/**
 * The demo's server settings: its inboxes and service levels, and the address customers open the
 * email surveys' links at (this server's own, for `npm start`).
 */
export function demoServerConfig(publicUrl: string): Pick<ServerConfig, 'inboxes' | 'slaPolicies' | 'publicUrl'> {
  return { inboxes: DEMO_INBOX_CONFIG, slaPolicies: DEMO_SLA_POLICIES, publicUrl }
}
