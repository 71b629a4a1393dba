import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Meta signs each webhook POST with X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the
 * raw body under the app secret. Compared in constant time, before the body is parsed.
 */
export function signatureProblem(rawBody: Buffer, header: string | string[] | undefined, appSecret: string): string | null {
  if (typeof header !== 'string' || header === '') return 'missing X-Hub-Signature-256 header'
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim())
  if (!match?.[1]) return 'X-Hub-Signature-256 must be "sha256=" followed by 64 hex digits'
  const given = Buffer.from(match[1], 'hex')
  const expected = createHmac('sha256', appSecret).update(rawBody).digest()
  return timingSafeEqual(given, expected) ? null : 'X-Hub-Signature-256 does not match the body'
}

export function signBody(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`
}
