import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { IntegrationInfo, NewIntegration } from '../../../shared/tokens'
import { createIntegration, revokeIntegration } from '../../auth/integrations'
import { requestAuditBy } from '../../audit/origin'
import { NotFoundError } from '../../connectors/delivery'
import type { StoreReader } from '../../store/store'
import type { ChangeFeed } from '../../sync/commit'
import { commitOf, requireRole, userOf } from '../auth'
import { ErrorBody } from '../errors'
import { IdParams } from '../schemas'

const IntegrationOut = IntegrationInfo.meta({ id: 'Integration' })

/** Admins list, create and revoke integrations: the tokens that post inbound items to some inboxes. */
export const integrationRoutes =
  (deps: { store: StoreReader; feed: ChangeFeed }): FastifyPluginAsyncZod =>
  async (app) => {
    requireRole(app, 'admin', 'only admins may manage integrations')

    app.get(
      '/integrations',
      {
        schema: {
          tags: ['integrations'],
          summary: 'Every integration, revoked ones too (admins only; never a token)',
          response: { 200: z.object({ items: z.array(IntegrationOut) }), 401: ErrorBody, 403: ErrorBody },
        },
      },
      async () => ({ items: await deps.store.listIntegrations() }),
    )

    app.post(
      '/integrations',
      {
        schema: {
          tags: ['integrations'],
          summary: 'Create an integration for some inboxes (admins only); its token is in this answer and nowhere else',
          body: NewIntegration,
          response: {
            201: z.object({ integration: IntegrationOut, token: z.string().describe('Shown once: store it now') }),
            400: ErrorBody,
            401: ErrorBody,
            403: ErrorBody,
          },
        },
      },
      async (request, reply) => {
        const created = await createIntegration(commitOf(deps.feed, request), request.body, undefined, requestAuditBy(request))
        request.log.info({ integrationId: created.integration.id, by: userOf(request).id }, 'integration created')
        return reply.status(201).send(created)
      },
    )

    app.delete(
      '/integrations/:id',
      {
        schema: {
          tags: ['integrations'],
          summary: 'Revoke an integration (admins only): its token is refused from then on; the record stays',
          params: IdParams,
          response: { 204: z.null().describe('Revoked'), 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (request, reply) => {
        if (!(await revokeIntegration(commitOf(deps.feed, request), request.params.id, undefined, requestAuditBy(request)))) {
          throw new NotFoundError(`no active integration with id ${request.params.id}`)
        }
        request.log.info({ integrationId: request.params.id, by: userOf(request).id }, 'integration revoked')
        return reply.status(204).send(null)
      },
    )
  }
