import type { FastifyRequest } from 'fastify'

/**
 * A request URL as the log may show it: the path and the names of the query's parameters,
 * every value replaced. Webhooks carry secrets there (WhatsApp's hub.verify_token, tokens or
 * signatures a provider appends), and no list of names could be trusted to catch them all.
 */
export function redactedUrl(url: string): string {
  const start = url.indexOf('?')
  if (start === -1) return url
  const names = url
    .slice(start + 1)
    .split('&')
    .filter(Boolean)
    .map((pair) => `${pair.split('=')[0]}=[redacted]`)
  return `${url.slice(0, start)}?${names.join('&')}`
}

/**
 * Fastify's request log entry without the query's values; headers (Authorization, cookies)
 * are never part of it.
 */
export function loggedRequest(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactedUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  }
}
