import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { AdminDirectory, NewUser, UserAccess } from '../../../shared/admin'
import type { InboxInfo } from '../../../shared/inbox-settings'
import { createUser, deactivateUser, reactivateUser, updateUserAccess } from '../../auth/users'
import { NotFoundError } from '../../connectors/delivery'
import type { StoreReader } from '../../store/store'
import type { ChangeFeed } from '../../sync/commit'
import { commitOf, requireRole, userOf } from '../auth'
import { ErrorBody } from '../errors'
import { IdParams, UserOut } from '../schemas'
import { requestAuditBy } from '../../audit/origin'

export interface AdminRouteDeps {
  store: StoreReader
  feed: ChangeFeed
  /** Every configured inbox, whatever the admin's own inboxes: access is granted from this list. */
  inboxes: readonly InboxInfo[]
  /** Told the hash of each token revoked by a deactivation, so its live connections are closed at once. */
  onTokenRevoked?: (tokenHash: string) => void
}

const Refusals = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody }

/**
 * Admins create users and change their name, role, team and inbox access, deactivate and
 * reactivate them. Each change is recorded with the admin as its actor, and the user row is in
 * the change log, so every client sees it.
 */
export const adminRoutes =
  (deps: AdminRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    requireRole(app, 'admin', 'only admins may manage users, teams and inbox access')
    const existing = async (id: string): Promise<string> => {
      if (!(await deps.store.getUser(id))) throw new NotFoundError(`no user with id ${id}`)
      return id
    }

    app.post(
      '/users',
      {
        schema: {
          tags: ['admin'],
          summary: 'Create a user (admins only); they sign in once given a password (CLI password:set) or a token',
          body: NewUser,
          response: { 201: UserOut, ...Refusals },
        },
      },
      async (request, reply) => reply.status(201).send(await createUser(commitOf(deps.feed, request), request.body, undefined, requestAuditBy(request))),
    )

    app.patch(
      '/users/:id',
      {
        schema: {
          tags: ['admin'],
          summary: "Change a user's name, role, team or inboxes (admins only); fields left out stay as they are",
          description:
            'A user whose inboxes change is disconnected so their clients refill their caches under the new access. ' +
            'Demoting the last active admin is refused with 409.',
          params: IdParams,
          body: UserAccess,
          response: { 200: UserOut, ...Refusals },
        },
      },
      async (request) =>
        updateUserAccess(commitOf(deps.feed, request), await existing(request.params.id), request.body, requestAuditBy(request)),
    )

    app.post(
      '/users/:id/deactivate',
      {
        schema: {
          tags: ['admin'],
          summary: 'Deactivate a user (admins only): their tokens are revoked, their connections closed, and sign-in refused',
          description: 'The user stays (their past work still names them), marked with deactivatedAt. Deactivating the last active admin is refused with 409.',
          params: IdParams,
          response: { 200: UserOut, ...Refusals },
        },
      },
      async (request) => {
        const { user, revokedTokenHashes } = await deactivateUser(
          commitOf(deps.feed, request),
          await existing(request.params.id),
          undefined,
          requestAuditBy(request),
        )
        request.log.info({ userId: user.id, by: userOf(request).id, tokens: revokedTokenHashes.length }, 'user deactivated')
        for (const hash of revokedTokenHashes) deps.onTokenRevoked?.(hash)
        return user
      },
    )

    app.post(
      '/users/:id/reactivate',
      {
        schema: {
          tags: ['admin'],
          summary: 'Let a deactivated user sign in again (admins only); tokens revoked by the deactivation stay revoked',
          params: IdParams,
          response: { 200: UserOut, ...Refusals },
        },
      },
      async (request) => reactivateUser(commitOf(deps.feed, request), await existing(request.params.id)),
    )

    app.get(
      '/admin/directory',
      {
        schema: {
          tags: ['admin'],
          summary: 'What access is granted from (admins only): the teams named on users or conversations, and every configured inbox',
          response: { 200: AdminDirectory.meta({ id: 'AdminDirectory' }), 401: ErrorBody, 403: ErrorBody },
        },
      },
      async () => ({ teams: await deps.store.teamsInUse(), inboxes: deps.inboxes.map((i) => ({ name: i.name, channel: i.channel })) }),
    )
  }
