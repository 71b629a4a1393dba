import type { ConnectorDefinition } from './connector'
import { emailConnectorDefinition } from './email/email-connector'
import { sandboxDefinition } from './sandbox/sandbox'
import { twilioSmsDefinition } from './twilio-sms/twilio-sms'
import { voiceDefinition } from './voice/voice'
import { whatsappDefinition } from './whatsapp/whatsapp'
import { webchatDefinition } from './webchat/webchat'

/** Every connector type the server can run, by the `type` an inbox's config names. */
export const CONNECTOR_DEFINITIONS: readonly ConnectorDefinition[] = [webchatDefinition, twilioSmsDefinition, voiceDefinition, whatsappDefinition, emailConnectorDefinition, sandboxDefinition]

export function connectorDefinition(type: string): ConnectorDefinition | undefined {
  return CONNECTOR_DEFINITIONS.find((d) => d.type === type)
}
