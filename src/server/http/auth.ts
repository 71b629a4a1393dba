import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { integrationActor, userActor, type Actor } from '../../shared/actors'
import type { Role, User } from '../../shared/domain'
import { hasRole } from '../../shared/roles'
import type { IntegrationInfo } from '../../shared/tokens'
import { integrationMayPostTo } from '../auth/integrations'
import type { TokenAuth } from '../auth/token-auth'
import { bearerToken } from '../auth/tokens'
import { canSeeInbox } from '../sync/access'
import type { ChangeFeed, Commit } from '../sync/commit'
import { errorBody, ForbiddenError } from './errors'

/** Who made a request: a user (agent, supervisor or admin) or an integration. */
export type Caller = { kind: 'user'; user: User } | { kind: 'integration'; integration: IntegrationInfo }

const callers = new WeakMap<FastifyRequest, Caller>()

/** The caller of a request that passed `requireToken` or `requireCaller`. */
export function callerOf(request: FastifyRequest): Caller {
  const caller = callers.get(request)
  if (!caller) throw new Error('callerOf() called on a route without token auth')
  return caller
}

/** The authenticated user of a request that passed `requireToken`. */
export function userOf(request: FastifyRequest): User {
  const caller = callerOf(request)
  if (caller.kind !== 'user') throw new Error('userOf() called on a route open to integrations')
  return caller.user
}

/** The paths integration tokens may call; every other route refuses them. */
export const INTEGRATION_ROUTES = 'POST /api/v1/inbound, GET /api/v1/outbound and POST /api/v1/messages/{id}/delivery'

/** Answers 401 for a missing, unknown or expired token, saying which. */
export function refuseToken(reply: FastifyReply, token: string | null, reason: 'unknown' | 'expired') {
  const message = !token
    ? 'missing API token: send "Authorization: Bearer <token>"'
    : reason === 'expired'
      ? 'this API token has expired: sign in again, or ask an administrator for a new token'
      : 'invalid API token'
  return reply.status(401).header('www-authenticate', 'Bearer').send(errorBody('unauthorized', message))
}

function authenticateRequest(app: FastifyInstance, auth: TokenAuth, integrations: 'allow' | 'refuse'): void {
  app.addHook('onRequest', async (request, reply) => {
    const token = bearerToken(request.headers.authorization)
    const user = await auth.user(token)
    if (user.ok) {
      callers.set(request, { kind: 'user', user: user.user })
      return
    }
    const integration = user.reason === 'unknown' ? await auth.integration(token) : null
    if (!integration) return refuseToken(reply, token, user.reason)
    if (integrations === 'refuse') {
      return reply
        .status(403)
        .send(errorBody('forbidden', `an integration token is not a user's: it may only call ${INTEGRATION_ROUTES}`))
    }
    callers.set(request, { kind: 'integration', integration })
  })
}

/** Adds user-token authentication to every route of `app` (an encapsulated plugin scope); integration tokens get 403. */
export function requireToken(app: FastifyInstance, auth: TokenAuth): void {
  authenticateRequest(app, auth, 'refuse')
}

/** The integration routes: a user's token or an integration's; each route decides what either may do. */
export function requireCaller(app: FastifyInstance, auth: TokenAuth): void {
  authenticateRequest(app, auth, 'allow')
}

/**
 * Refuses (403, saying why) every route of `app` to users whose role is below `role`; call after
 * `requireToken`. Checked before the body is validated, so a refusal never depends on what was sent.
 */
export function requireRole(app: FastifyInstance, role: Role, refusal: string): void {
  app.addHook('preValidation', async (request) => {
    if (!hasRole(userOf(request), role)) throw new ForbiddenError(refusal)
  })
}

/** The actor a caller's changes are recorded as. */
export const actorOf = (caller: Caller): Actor =>
  caller.kind === 'user' ? userActor(caller.user.id) : integrationActor(caller.integration.id)

/** A commit recorded as made by the caller of this request. */
export const commitOf = (feed: ChangeFeed, request: FastifyRequest): Commit => feed.as(actorOf(callerOf(request)))

/** Whether the caller may read or write the inbox: a user's inboxes, or the integration's. */
export const callerMayUseInbox = (caller: Caller, inbox: string): boolean =>
  caller.kind === 'user' ? canSeeInbox(caller.user, inbox) : integrationMayPostTo(caller.integration, inbox)
