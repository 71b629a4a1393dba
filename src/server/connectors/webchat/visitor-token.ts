import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto'

/**
 * A visitor token is `<visitorId>.<HMAC-SHA256(secret, inbox, visitorId)>`. The widget keeps it
 * in localStorage so the conversation survives reloads; without the server's secret nobody can
 * mint the token of another visitor id, so nobody can read another visitor's chat.
 */

const signature = (secret: string, inbox: string, visitorId: string): Buffer =>
  createHmac('sha256', secret).update(`threadline-chat-visitor\n${inbox}\n${visitorId}`).digest()

export function signVisitorToken(secret: string, inbox: string, visitorId: string): string {
  return `${visitorId}.${signature(secret, inbox, visitorId).toString('base64url')}`
}

/** The visitor id the token proves, or null for a token that is malformed or signed for another inbox or secret. */
export function verifyVisitorToken(secret: string, inbox: string, token: string): string | null {
  const dot = token.lastIndexOf('.')
  if (dot <= 0) return null
  const visitorId = token.slice(0, dot)
  const given = Buffer.from(token.slice(dot + 1), 'base64url')
  const expected = signature(secret, inbox, visitorId)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
  return visitorId
}

export function newVisitorId(): string {
  return randomUUID()
}
