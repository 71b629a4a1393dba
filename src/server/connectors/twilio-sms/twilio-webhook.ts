// The signature check alone: the package's index loads its whole REST client (150 ms of every server start).
import { validateRequest } from 'twilio/lib/webhooks/webhooks.js'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { errorBody } from '../../http/errors'
import { redactedUrl } from '../../http/log-redaction'
import type { ConnectorLogger } from '../connector'

/**
 * What Twilio-style webhooks (SMS, voice) share: form-encoded bodies, and the
 * X-Twilio-Signature over the full public URL and the posted parameters.
 */

export type FormParams = Record<string, string | string[]>

const FORM = 'application/x-www-form-urlencoded'

/**
 * The posted fields by name. Collected in a Map: on a plain object, a field named like a member
 * of every object (`constructor`, `toString`, `__proto__`) would read that member as already
 * posted, or set the object's prototype, and the parameters would no longer be what was signed.
 */
export function parseForm(body: string): FormParams {
  const fields = new Map<string, string[]>()
  for (const [key, value] of new URLSearchParams(body)) fields.set(key, [...(fields.get(key) ?? []), value])
  const out: FormParams = Object.create(null)
  for (const [key, values] of fields) out[key] = values.length === 1 ? values[0]! : values
  return out
}

/** The parameters as single strings (Twilio sends each once). */
export function flattenForm(params: FormParams): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]))
}

/** Adds the form parser to a connector's own scope; the REST API never sees it. */
export function acceptForms(app: FastifyInstance): void {
  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_request, body, done) => {
    done(null, parseForm(body as string))
  })
}

export const TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

/** The URL Twilio signed: the configured public address, else what this request says it was sent to. */
export function signedUrl(request: FastifyRequest, publicUrl: string | null): string {
  const base = publicUrl ? publicUrl.replace(/\/+$/, '') : `${request.protocol}://${request.host}`
  return base + request.url
}

/**
 * Checks a Twilio webhook: a form body with a valid signature. On failure it answers (415 or
 * 403, with the reason, and a log line) and returns null; on success it returns the parameters.
 */
export function verifiedForm(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { authToken: string; publicUrl: string | null; log: ConnectorLogger; what: string },
): FormParams | null {
  const contentType = request.headers['content-type'] ?? ''
  if (!contentType.toLowerCase().startsWith(FORM) || typeof request.body !== 'object' || request.body === null) {
    const reason = `${options.what} must be posted as ${FORM}`
    options.log.warn({ url: redactedUrl(request.url), contentType }, `${options.what} refused: ${reason}`)
    void reply.status(415).send(errorBody('bad_request', reason))
    return null
  }
  const params = request.body as FormParams
  const signature = request.headers['x-twilio-signature']
  const url = signedUrl(request, options.publicUrl)
  const reason =
    typeof signature !== 'string' || signature === ''
      ? 'missing X-Twilio-Signature header'
      : !validateRequest(options.authToken, signature, url, params)
        ? `X-Twilio-Signature does not match the request (signed URL expected: ${redactedUrl(url)})`
        : null
  if (reason) {
    options.log.warn({ url: redactedUrl(request.url), ip: request.ip }, `${options.what} refused: ${reason}`)
    void reply.status(403).send(errorBody('forbidden', reason))
    return null
  }
  return params
}
