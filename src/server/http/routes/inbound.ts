import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { InboundMessage, IngestResult } from '../../../shared/ingest'
import { DeliveryReport, recordDelivery } from '../../connectors/delivery'
import { DeferredIngestError, type InboundService } from '../../ingest/inbound-service'
import type { StoreReader } from '../../store/store'
import { canSeeInbox } from '../../sync/access'
import type { Commit } from '../../sync/commit'
import { userOf } from '../auth'
import { ErrorBody, ForbiddenError } from '../errors'
import { IdentityOut, IdParams, Limit, MessageOut } from '../schemas'

export const inboundRoutes =
  (store: StoreReader, commit: Commit, inbound: InboundService): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/inbound',
      {
        schema: {
          tags: ['channels'],
          summary: 'The API channel: ingest a normalized inbound item of any channel',
          description:
            'Deduplicated by (channel, externalId): a retry answers 200 with the original ids and `duplicate: true`. ' +
            '202 means the item is stored for retry after an internal failure.',
          body: InboundMessage,
          response: {
            200: IngestResult,
            201: IngestResult,
            202: z.object({ accepted: z.literal(true), deadLetterId: z.number(), message: z.string() }),
            400: ErrorBody,
            401: ErrorBody,
            403: ErrorBody,
          },
        },
      },
      async (request, reply) => {
        const user = userOf(request)
        if (!canSeeInbox(user, request.body.inbox)) {
          throw new ForbiddenError(`you cannot write to inbox "${request.body.inbox}"`)
        }
        try {
          const result = await inbound.accept(request.body)
          return reply.status(result.duplicate ? 200 : 201).send(result)
        } catch (err) {
          if (!(err instanceof DeferredIngestError)) throw err
          return reply.status(202).send({ accepted: true, deadLetterId: err.deadLetterId, message: err.message })
        }
      },
    )

    app.get(
      '/outbound',
      {
        schema: {
          tags: ['channels'],
          summary: 'Outbound messages waiting to be sent, with their recipient (for integrations when outbound is "none")',
          querystring: z.object({ limit: Limit }),
          response: {
            200: z.object({ items: z.array(z.object({ message: MessageOut, recipient: IdentityOut.nullable() })) }),
            401: ErrorBody,
          },
        },
      },
      async (request) => {
        const user = userOf(request)
        const items = store
          .queuedOutbound(request.query.limit)
          .filter((o) => {
            const c = store.getConversation(o.message.conversationId)
            return c !== null && canSeeInbox(user, c.inbox)
          })
        return { items }
      },
    )

    app.post(
      '/messages/:id/delivery',
      {
        schema: {
          tags: ['channels'],
          summary: 'Report the delivery state of an outbound message (sent, delivered, read, failed)',
          params: IdParams,
          body: DeliveryReport,
          response: { 200: MessageOut, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (request) => {
        const user = userOf(request)
        const message = store.getMessage(request.params.id)
        const conversation = message ? store.getConversation(message.conversationId) : null
        if (conversation && !canSeeInbox(user, conversation.inbox)) {
          throw new ForbiddenError(`message ${request.params.id} is in inbox "${conversation.inbox}", which you cannot access`)
        }
        return recordDelivery(commit, request.params.id, request.body)
      },
    )
  }
