import { z } from 'zod'

/** Twilio's REST API (or a compatible provider's): one message create call. */

export interface TwilioAccount {
  accountSid: string
  authToken: string
  from?: string
  messagingServiceSid?: string
  apiBaseUrl: string
}

const Created = z.object({ sid: z.string().min(1) })
const Refusal = z.object({ code: z.number().optional(), message: z.string().optional() })

const SEND_TIMEOUT_MS = 20_000

export async function sendTwilioMessage(
  account: TwilioAccount,
  message: { to: string; body: string; statusCallback?: string },
): Promise<string> {
  const form = new URLSearchParams({ To: message.to, Body: message.body })
  if (account.messagingServiceSid) form.set('MessagingServiceSid', account.messagingServiceSid)
  else if (account.from) form.set('From', account.from)
  if (message.statusCallback) form.set('StatusCallback', message.statusCallback)
  const url = `${account.apiBaseUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(account.accountSid)}/Messages.json`
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: form,
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    })
  } catch (err) {
    throw new Error(`the SMS provider could not be reached: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
  const body: unknown = await res.json().catch(() => null)
  if (!res.ok) {
    const refusal = Refusal.safeParse(body)
    const detail = refusal.success ? `${refusal.data.code ? `error ${refusal.data.code}: ` : ''}${refusal.data.message ?? ''}` : ''
    throw new Error(`the SMS provider refused the message (HTTP ${res.status}${detail ? `, ${detail}` : ''})`)
  }
  const created = Created.safeParse(body)
  if (!created.success) throw new Error(`the SMS provider answered HTTP ${res.status} without a message sid`)
  return created.data.sid
}
