import type { FastifyRequest } from 'fastify'
import type { AuditOrigin } from '../../shared/audit'
import { actorOf, callerOf, type Caller } from '../http/auth'
import type { AuditBy } from './record'

const userAgentOf = (header: string | string[] | undefined): string | null =>
  (Array.isArray(header) ? header[0] : header)?.slice(0, 400) ?? null

/** A REST request: its client address and user agent; an integration's token says so. */
export function restOrigin(request: FastifyRequest, caller?: Caller): AuditOrigin {
  return {
    via: caller?.kind === 'integration' ? 'integration' : 'rest',
    ip: request.ip,
    userAgent: userAgentOf(request.headers['user-agent']),
    clientId: null,
  }
}

/** The desktop app, over its socket: the device it runs on and the address it connected from. */
export function appOrigin(clientId: string | null, ip: string | null = null, userAgent: string | string[] | null = null): AuditOrigin {
  return { via: 'app', ip, userAgent: userAgentOf(userAgent ?? undefined), clientId }
}

export const CLI_ORIGIN: AuditOrigin = { via: 'cli', ip: null, userAgent: null, clientId: null }

/** A customer's own message on a channel (a STOP keyword): the connector carried it. */
export const CHANNEL_ORIGIN: AuditOrigin = { via: 'channel', ip: null, userAgent: null, clientId: null }

/** The server's own scheduled work (a retention run). */
export const SERVER_ORIGIN: AuditOrigin = { via: 'server', ip: null, userAgent: null, clientId: null }

/** The caller of an authenticated REST request, as its audit entries name them. */
export function requestAuditBy(request: FastifyRequest): AuditBy {
  const caller = callerOf(request)
  return { actor: actorOf(caller), origin: restOrigin(request, caller) }
}
