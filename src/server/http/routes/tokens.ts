import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { ApiTokenInfo } from '../../../shared/tokens'
import type { TokenLifetime } from '../../auth/tokens'
import { listTokens, revokeTokenById } from '../../auth/users'
import { requestAuditBy } from '../../audit/origin'
import { NotFoundError } from '../../connectors/delivery'
import type { StoreReader } from '../../store/store'
import type { ChangeFeed } from '../../sync/commit'
import { commitOf, requireRole, userOf } from '../auth'
import { ErrorBody } from '../errors'
import { IdParams } from '../schemas'

export interface TokenRouteDeps {
  store: StoreReader
  feed: ChangeFeed
  lifetime: TokenLifetime
  /** Told the hash of each revoked token, so live connections that used it are closed at once. */
  onTokenRevoked?: (tokenHash: string) => void
}

const TokenOut = ApiTokenInfo.meta({ id: 'ApiToken' })

/** Admins list and revoke users' tokens. */
export const tokenRoutes =
  (deps: TokenRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    requireRole(app, 'admin', 'only admins may list and revoke API tokens')

    app.get(
      '/tokens',
      {
        schema: {
          tags: ['tokens'],
          summary: "Users' API tokens: label, created, last used, expires (admins only; never the token)",
          querystring: z.object({ email: z.string().trim().min(1).optional().describe('Only the tokens of the user with this email') }),
          response: { 200: z.object({ items: z.array(TokenOut) }), 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (request) => {
        const { email } = request.query
        const user = email === undefined ? null : await deps.store.getUserByEmail(email)
        if (email !== undefined && !user) throw new NotFoundError(`no user with email ${email}`)
        return { items: await listTokens(deps.store, deps.lifetime, user?.id ?? null) }
      },
    )

    app.delete(
      '/tokens/:id',
      {
        schema: {
          tags: ['tokens'],
          summary: 'Revoke a token by its id (admins only): REST refuses it and its sync connections are closed at once',
          params: IdParams,
          response: { 204: z.null().describe('Revoked'), 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (request, reply) => {
        const tokenHash = await revokeTokenById(commitOf(deps.feed, request), request.params.id, requestAuditBy(request))
        if (!tokenHash) throw new NotFoundError(`no token with id ${request.params.id} (already revoked?)`)
        request.log.info({ tokenId: request.params.id, by: userOf(request).id }, 'token revoked')
        deps.onTokenRevoked?.(tokenHash)
        return reply.status(204).send(null)
      },
    )
  }
