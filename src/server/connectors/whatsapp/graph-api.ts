import { z } from 'zod'
import type { OutboundTemplate } from '../../../shared/domain'

/** The WhatsApp Cloud API's send call on the Graph API (or a compatible endpoint). */

export interface GraphAccount {
  graphApiBaseUrl: string
  graphApiVersion: string
  phoneNumberId: string
  accessToken: string
}

const Sent = z.object({ messages: z.array(z.object({ id: z.string().min(1) })).min(1) })
const GraphError = z.object({
  error: z.object({ message: z.string().optional(), code: z.number().optional(), error_data: z.object({ details: z.string() }).partial().optional() }),
})

const SEND_TIMEOUT_MS = 20_000

export function graphUrl(account: Pick<GraphAccount, 'graphApiBaseUrl' | 'graphApiVersion'>, node: string): string {
  return `${account.graphApiBaseUrl.replace(/\/+$/, '')}/${account.graphApiVersion}/${encodeURIComponent(node)}`
}

export type WhatsAppOutbound = { kind: 'text'; body: string } | { kind: 'template'; template: OutboundTemplate }

/** Sends one message; resolves with its wamid. */
export async function sendWhatsApp(account: GraphAccount, to: string, content: WhatsAppOutbound): Promise<string> {
  const payload: Record<string, unknown> = { messaging_product: 'whatsapp', recipient_type: 'individual', to: to.replace(/^\+/, '') }
  if (content.kind === 'text') {
    payload.type = 'text'
    payload.text = { body: content.body, preview_url: false }
  } else {
    const { name, language, parameters } = content.template
    payload.type = 'template'
    payload.template = {
      name,
      language: { code: language },
      ...(parameters.length > 0 ? { components: [{ type: 'body', parameters: parameters.map((text) => ({ type: 'text', text })) }] } : {}),
    }
  }
  let res: Response
  try {
    res = await fetch(graphUrl(account, account.phoneNumberId) + '/messages', {
      method: 'POST',
      headers: { authorization: `Bearer ${account.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    })
  } catch (err) {
    throw new Error(`the WhatsApp Cloud API could not be reached: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
  const body: unknown = await res.json().catch(() => null)
  if (!res.ok) {
    const refusal = GraphError.safeParse(body)
    const e = refusal.success ? refusal.data.error : null
    const detail = e ? `${e.code ? `error ${e.code}: ` : ''}${e.message ?? ''}${e.error_data?.details ? ` (${e.error_data.details})` : ''}` : ''
    throw new Error(`WhatsApp refused the message (HTTP ${res.status}${detail ? `, ${detail}` : ''})`)
  }
  const sent = Sent.safeParse(body)
  if (!sent.success) throw new Error(`the WhatsApp Cloud API answered HTTP ${res.status} without a message id`)
  return sent.data.messages[0]!.id
}
