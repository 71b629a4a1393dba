import type { ServerConfig } from '../../../src/server/server'

/**
 * One inbox for each signed webhook: Twilio SMS, Twilio voice and WhatsApp Cloud, with the
 * secrets a test signs with. Tests that post webhooks of every provider start a server with these.
 */

export const WEBHOOK_PUBLIC_URL = 'https://threadline.example.test'
export const TWILIO_TOKEN = 'twilio-auth-token-for-tests'
export const APP_SECRET = 'whatsapp-app-secret-for-tests'
export const VERIFY_TOKEN = 'v'
export const PHONE_NUMBER_ID = '106540352242922'

export const WEBHOOK_PATHS = {
  sms: '/webhooks/sms-main/sms',
  smsStatus: '/webhooks/sms-main/sms/status',
  voice: '/webhooks/calls/voice',
  whatsapp: '/webhooks/wa-main/whatsapp',
}

export const webhookInboxes = (): Partial<ServerConfig> => ({
  publicUrl: WEBHOOK_PUBLIC_URL,
  inboxes: [
    { name: 'sms-main', channel: 'sms', connector: { type: 'twilio-sms', accountSid: 'AC1', authToken: TWILIO_TOKEN, from: '+15005550006' } },
    { name: 'calls', channel: 'voice', connector: { type: 'voice', authToken: TWILIO_TOKEN } },
    {
      name: 'wa-main',
      channel: 'whatsapp',
      connector: { type: 'whatsapp-cloud', phoneNumberId: PHONE_NUMBER_ID, accessToken: 'a', appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN },
    },
  ],
})
