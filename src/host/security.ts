import { randomBytes, timingSafeEqual } from 'node:crypto'

/** A fresh secret per host run: whoever opens the printed URL holds it, nobody else. */
export function newHostToken(): string {
  return randomBytes(24).toString('base64url')
}

export function tokensMatch(expected: string, given: string | null | undefined): boolean {
  if (!given) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * The host answers only to its own loopback names, so a web page that rebinds its DNS name
 * to 127.0.0.1 cannot talk to it.
 */
export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`])
}

export function allowedOrigins(port: number): Set<string> {
  return new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`])
}

/** The renderer's policy, with the WebSocket back to this host allowed. */
export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    // https: only so an agent can choose to see one email's remote images; every email frame
    // still blocks them until then (see features/timeline/email-html.ts).
    "img-src 'self' data: https:",
    "font-src 'self'",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}
