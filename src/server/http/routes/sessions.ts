import rateLimit from '@fastify/rate-limit'
import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { SignInRequest, SignInResponse, WRONG_CREDENTIALS } from '../../../shared/sessions'
import { bearerToken, hashToken } from '../../auth/tokens'
import { checkCredentials, createToken, revokeToken } from '../../auth/users'
import type { StoreReader } from '../../store/store'
import type { Commit } from '../../sync/commit'
import { requireToken } from '../auth'
import { ErrorBody, errorBody } from '../errors'

/** How hard guessing is made: failed attempts per email, and attempts of any kind per address. */
export interface SignInLimits {
  failuresPerEmail: number
  attemptsPerIp: number
  windowMs: number
}

export const SIGN_IN_LIMITS: SignInLimits = { failuresPerEmail: 5, attemptsPerIp: 30, windowMs: 15 * 60_000 }

export interface SessionRouteDeps {
  store: StoreReader
  commit: Commit
  /** Told the hash of each revoked token, so live connections that used it can be closed. */
  onTokenRevoked?: (tokenHash: string) => void
  limits?: SignInLimits
}

function tooMany(reply: FastifyReply, retryAfterSeconds: number, message: string) {
  return reply
    .status(429)
    .header('retry-after', String(Math.max(1, retryAfterSeconds)))
    .send(errorBody('rate_limited', `${message}; try again in ${Math.max(1, Math.ceil(retryAfterSeconds / 60))} minute(s)`))
}

/** Signing in with email and password (no token needed) and signing the calling token out. */
export const sessionRoutes =
  (deps: SessionRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const limits = deps.limits ?? SIGN_IN_LIMITS
    await app.register(rateLimit, { global: false })
    const perIp = app.createRateLimit({ max: limits.attemptsPerIp, timeWindow: limits.windowMs })
    // Only failures count against an email, so a person who types it right is never locked out by
    // their own earlier sign-ins; the key does not depend on whether the email exists.
    const perEmail = app.createRateLimit({
      max: limits.failuresPerEmail,
      timeWindow: limits.windowMs,
      keyGenerator: (request) => `email:${(request.body as SignInRequest).email}`,
    })

    app.post(
      '/sessions',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Sign in with email and password: answers a new API token for this device',
          description:
            `A wrong email or password gets 401 with the same message either way. After ${limits.failuresPerEmail} failed ` +
            'attempts for one email, further attempts for it get 429 until the window has passed.',
          security: [],
          body: SignInRequest,
          response: { 201: SignInResponse, 400: ErrorBody, 401: ErrorBody, 429: ErrorBody },
        },
      },
      async (request, reply) => {
        const ip = await perIp(request)
        if (!ip.isAllowed && ip.isExceeded) return tooMany(reply, ip.ttlInSeconds, 'too many sign-in attempts from this address')
        const before = await perEmail(request, { increment: false })
        if (!before.isAllowed && before.remaining === 0) {
          return tooMany(reply, before.ttlInSeconds, 'too many failed sign-in attempts for this email')
        }
        const { email, password, deviceName } = request.body
        const user = await checkCredentials(deps.store, email, password)
        if (!user) {
          await perEmail(request)
          // The email typed is personal data (and sometimes a password typed in the wrong field): never logged.
          request.log.info('sign-in refused: wrong email or password')
          return reply.status(401).send(errorBody('unauthorized', WRONG_CREDENTIALS))
        }
        const token = createToken(deps.commit, user.id, deviceName ?? 'signed in with password')
        request.log.info({ userId: user.id }, 'signed in')
        return reply.status(201).send({ token, user })
      },
    )

    await app.register(async (authed) => {
      requireToken(authed, deps.store)
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
          if (token && revokeToken(deps.commit, token)) deps.onTokenRevoked?.(hashToken(token))
          return reply.status(204).send(null)
        },
      )
    })
  }
