import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { SignInRequest, SignInResponse, WRONG_CREDENTIALS } from '../../../shared/sessions'
import { SignInThrottle, type SignInVerdict, type ThrottleScope } from '../../auth/sign-in-throttle'
import { bearerToken, hashToken } from '../../auth/tokens'
import { checkCredentials, createToken, revokeToken } from '../../auth/users'
import { requestAuditBy, restOrigin } from '../../audit/origin'
import { userActor } from '../../../shared/actors'
import { isActive } from '../../../shared/roles'
import type { TokenAuth } from '../../auth/token-auth'
import type { StoreReader } from '../../store/store'
import type { ChangeFeed } from '../../sync/commit'
import { commitOf, requireToken } from '../auth'
import { ErrorBody, errorBody } from '../errors'

export interface SessionRouteDeps {
  store: StoreReader
  feed: ChangeFeed
  auth: TokenAuth
  /** Told the hash of each revoked token, so live connections that used it can be closed. */
  onTokenRevoked?: (tokenHash: string) => void
  /** Slows password guessing; the client address is the request's (see the server's `trustProxy`). */
  throttle?: SignInThrottle
}

const THROTTLED: Record<ThrottleScope, string> = {
  pair: 'too many failed sign-ins for this email from your address',
  account: 'too many failed sign-ins for this email',
  address: 'too many failed sign-ins from your address',
}

const counted = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`
const inWords = (seconds: number): string => (seconds < 60 ? counted(seconds, 'second') : counted(Math.ceil(seconds / 60), 'minute'))

function tooMany(reply: FastifyReply, verdict: Extract<SignInVerdict, { allowed: false }>) {
  const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))
  return reply
    .status(429)
    .header('retry-after', String(seconds))
    .send(errorBody('rate_limited', `${THROTTLED[verdict.scope]}; try again in ${inWords(seconds)}`))
}

/** Signing in with email and password (no token needed) and signing the calling token out. */
export const sessionRoutes =
  (deps: SessionRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const throttle = deps.throttle ?? new SignInThrottle()

    app.post(
      '/sessions',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Sign in with email and password: answers a new API token for this device',
          description:
            'A wrong email or password gets 401 with the same message either way. Nothing is locked: after a few failures for ' +
            'one email from one client address, each further attempt from there must wait (1 s, then doubling, up to 5 minutes) ' +
            'and is answered 429 with Retry-After until then; a success starts afresh. Many addresses guessing at one email, ' +
            'or one address guessing at many, are slowed the same way, except where that email signed in before. ' +
            'A deactivated user with the right password gets 403.',
          security: [],
          body: SignInRequest,
          response: { 201: SignInResponse, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 429: ErrorBody },
        },
      },
      async (request, reply) => {
        const { email, password, deviceName } = request.body
        // Keyed by the email as typed (normalized), whether or not anyone has it, so the answer tells nothing about it.
        const verdict = throttle.attempt(email, request.ip)
        if (!verdict.allowed) return tooMany(reply, verdict)
        const user = await checkCredentials(deps.store, email, password)
        if (!user) {
          // The email typed is personal data (and sometimes a password typed in the wrong field): never logged.
          request.log.info('sign-in refused: wrong email or password')
          return reply.status(401).send(errorBody('unauthorized', WRONG_CREDENTIALS))
        }
        throttle.succeeded(email, request.ip)
        // Told only to whoever knows the password, so it reveals nothing a stranger could use.
        if (!isActive(user)) {
          request.log.info({ userId: user.id }, 'sign-in refused: user deactivated')
          return reply.status(403).send(errorBody('forbidden', 'this account has been deactivated: ask an administrator to reactivate it'))
        }
        const by = { actor: userActor(user.id), origin: restOrigin(request) }
        const token = await createToken(deps.feed.as(by.actor), user.id, deviceName ?? 'signed in with password', undefined, by)
        request.log.info({ userId: user.id }, 'signed in')
        return reply.status(201).send({ token, user })
      },
    )

    await app.register(async (authed) => {
      requireToken(authed, deps.auth)
      authed.delete(
        '/sessions/current',
        {
          schema: {
            tags: ['sessions'],
            summary: 'Sign out: revokes the token this request is made with',
            response: { 204: z.null().describe('Revoked'), 401: ErrorBody },
          },
        },
        async (request, reply) => {
          const token = bearerToken(request.headers.authorization)
          if (token && (await revokeToken(commitOf(deps.feed, request), token, requestAuditBy(request)))) deps.onTokenRevoked?.(hashToken(token))
          return reply.status(204).send(null)
        },
      )
    })
  }
