import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { EraseRequest, Erasure, ErasurePolicy, RestoreResult } from '../../../shared/privacy'
import type { Role } from '../../../shared/domain'
import { hasRole } from '../../../shared/roles'
import type { FastifyRequest } from 'fastify'
import { eraseCustomer, restoreCustomer } from '../../privacy/erasure'
import type { StoreReader } from '../../store/store'
import type { ChangeFeed } from '../../sync/commit'
import { restOrigin } from '../../audit/origin'
import { actorOf, callerOf, commitOf, userOf } from '../auth'
import { ErrorBody, ForbiddenError } from '../errors'
import { IdParams } from '../schemas'

export interface PrivacyRouteDeps {
  store: StoreReader
  feed: ChangeFeed
  graceDays: number
  /** Asked to purge at once after an erasure with no grace period. */
  purgeSoon?: () => void
}

/** Checked before the body is validated, so a refusal never depends on what was sent. */
const atLeast = (role: Role, refusal: string) => async (request: FastifyRequest) => {
  if (!hasRole(userOf(request), role)) throw new ForbiddenError(refusal)
}
const supervisors = (what: string) => atLeast('supervisor', `only supervisors and admins may ${what} a customer`)

const auditedBy = (request: FastifyRequest) => ({ actor: actorOf(callerOf(request)), origin: restOrigin(request, callerOf(request)) })

const Refusals = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody }
const ErasureOut = Erasure.meta({ id: 'Erasure' })

/** Erasing customers and restoring them within the grace period (privacy/erasure.ts); docs/privacy.md. */
export const privacyRoutes =
  (deps: PrivacyRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['privacy']

    app.post(
      '/customers/:id/erase',
      {
        preValidation: supervisors('erase'),
        schema: {
          tags,
          summary: 'Erase a customer: gone from every screen at once, purged after the grace period (or at once with now)',
          description:
            'Admins, and supervisors who may see every inbox the customer has conversations in. The customer, their identities, ' +
            'conversations, messages, notes, calls, events and summaries leave every read and every client cache at once; they can ' +
            'be restored until the purge. `now: true` (a legal request) purges at once and cannot be restored.',
          params: IdParams,
          body: EraseRequest.optional(),
          response: { 200: z.object({ erasure: ErasureOut }), ...Refusals },
        },
      },
      async (request) => {
        const { now: immediate } = EraseRequest.parse(request.body ?? {})
        const erasure = await commitOf(deps.feed, request)((w) =>
          eraseCustomer(w, {
            customerId: request.params.id,
            user: userOf(request),
            by: auditedBy(request),
            immediate,
            graceDays: deps.graceDays,
            now: Date.now(),
          }),
        )
        if (erasure.purgeAt <= Date.now()) deps.purgeSoon?.()
        return { erasure }
      },
    )

    app.post(
      '/customers/:id/restore',
      {
        preValidation: supervisors('restore'),
        schema: {
          tags,
          summary: 'Restore an erased customer within the grace period: everything comes back, on the server and on every client',
          params: IdParams,
          response: { 200: RestoreResult, ...Refusals },
        },
      },
      async (request) =>
        commitOf(deps.feed, request)((w) => restoreCustomer(w, { customerId: request.params.id, user: userOf(request), by: auditedBy(request) })),
    )

    app.get(
      '/erasures',
      {
        preValidation: atLeast('admin', 'only admins may list the erasures pending'),
        schema: {
          tags,
          summary: 'Customers erased and not yet purged, the soonest purge first (admins only)',
          response: { 200: z.object({ items: z.array(ErasureOut) }), 401: ErrorBody, 403: ErrorBody },
        },
      },
      async () => ({ items: await deps.store.listErasures() }),
    )

    app.get(
      '/erasure-policy',
      { schema: { tags, summary: 'How long an erased customer stays restorable', response: { 200: ErasurePolicy, 401: ErrorBody } } },
      async () => ({ graceDays: deps.graceDays }),
    )
  }
