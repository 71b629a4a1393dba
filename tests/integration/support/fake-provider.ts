import http from 'node:http'
import type { AddressInfo } from 'node:net'
import twilio from 'twilio'

/**
 * A provider's side of the wire for connector tests: a real HTTP server on loopback that
 * records every request our server makes (Twilio's REST API, the WhatsApp Graph API) and
 * answers as the provider would. It is the protocol peer, not a stand-in for our code.
 */

export interface RecordedRequest {
  method: string
  path: string
  headers: http.IncomingHttpHeaders
  body: string
}

export type ProviderAnswer = { status: number; body: unknown }
export type ProviderRoute = (request: RecordedRequest) => ProviderAnswer | null

export interface FakeProvider {
  url: string
  requests: RecordedRequest[]
  /** Replaces how the provider answers (null from a route falls through to 404). */
  answer(route: ProviderRoute): void
  close(): Promise<void>
}

export async function startFakeProvider(route: ProviderRoute): Promise<FakeProvider> {
  const requests: RecordedRequest[] = []
  let current = route
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }
      requests.push(recorded)
      const answer = current(recorded) ?? { status: 404, body: { message: 'no such resource' } }
      res.writeHead(answer.status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(answer.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer: (r) => {
      current = r
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

let sidCounter = 0

/** Twilio's Messages.json create, with its Basic auth check. */
export function twilioMessagesApi(accountSid: string, authToken: string): ProviderRoute {
  const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`
  return (r) => {
    if (r.method !== 'POST' || r.path !== `/2010-04-01/Accounts/${accountSid}/Messages.json`) return null
    if (r.headers.authorization !== expected) return { status: 401, body: { code: 20003, message: 'Authenticate' } }
    const form = new URLSearchParams(r.body)
    if (!form.get('To') || !form.get('Body')) return { status: 400, body: { code: 21604, message: "A 'To' phone number is required." } }
    const sid = `SM${(++sidCounter).toString(16).padStart(32, '0')}`
    return { status: 201, body: { sid, status: 'queued', to: form.get('To'), body: form.get('Body') } }
  }
}

let wamidCounter = 0

/** The WhatsApp Cloud API's message send for one phone number, with its bearer token check. */
export function whatsappGraphApi(phoneNumberId: string, accessToken: string): ProviderRoute {
  return (r) => {
    if (r.method !== 'POST' || r.path !== `/v21.0/${phoneNumberId}/messages`) return null
    if (r.headers.authorization !== `Bearer ${accessToken}`) return { status: 401, body: { error: { message: 'Invalid OAuth access token', code: 190 } } }
    const body = JSON.parse(r.body) as { to: string }
    return { status: 200, body: { messaging_product: 'whatsapp', contacts: [{ input: body.to, wa_id: body.to }], messages: [{ id: `wamid.OUT${++wamidCounter}` }] } }
  }
}

/** Posts a form the way Twilio does: form-encoded, signed over the public URL and the parameters. */
export async function postTwilioForm(
  serverUrl: string,
  publicUrl: string,
  path: string,
  params: Record<string, string>,
  authToken: string,
  options: { signature?: string | null } = {},
): Promise<{ status: number; body: string }> {
  const signature =
    options.signature === undefined ? twilio.getExpectedTwilioSignature(authToken, publicUrl + path, params) : options.signature
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
  if (signature !== null) headers['x-twilio-signature'] = signature
  const res = await fetch(serverUrl + path, { method: 'POST', headers, body: new URLSearchParams(params) })
  return { status: res.status, body: await res.text() }
}
