import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { InboundMessage, IngestResult } from '../../../shared/ingest'
import { DeliveryReport, recordDelivery } from '../../connectors/delivery'
import { DeferredIngestError, type InboundService } from '../../ingest/inbound-service'
import type { StoreReader } from '../../store/store'
import type { ChangeFeed } from '../../sync/commit'
import { actorOf, callerMayUseInbox, callerOf } from '../auth'
import { ErrorBody, ForbiddenError } from '../errors'
import { IdentityOut, IdParams, Limit, MessageOut } from '../schemas'

/**
 * The integration routes. Inbound items are what customers sent, so only integrations post them:
 * a user's token could otherwise forge a customer's message or consent.
 */
export const inboundRoutes =
  (store: StoreReader, feed: ChangeFeed, inbound: InboundService): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/inbound',
      {
        schema: {
          tags: ['channels'],
          summary: 'The API channel: ingest a normalized inbound item of any channel',
          description:
            'For integrations only: authenticate with an integration token (`npm run cli -- integration:create`), which may ' +
            'post to the inboxes it was given; a user\'s token gets 403, and so does an inbox outside the integration\'s. ' +
            'Everything the item changes (a consent change it carries included) is recorded as made by the integration. ' +
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
        // Before the body is read, so a user is told why whatever they sent.
        preValidation: async (request) => {
          const caller = callerOf(request)
          if (caller.kind === 'user') {
            throw new ForbiddenError(
              `a ${caller.user.role}'s token cannot post inbound messages: they are what customers sent, so only an ` +
                'integration token may post them (an admin creates one in the Administration screen or with `npm run cli -- integration:create`)',
            )
          }
        },
      },
      async (request, reply) => {
        const caller = callerOf(request)
        if (caller.kind === 'user') throw new Error('a user reached the inbound route past its preValidation check')
        const { integration } = caller
        if (!callerMayUseInbox(caller, request.body.inbox)) {
          throw new ForbiddenError(
            `integration "${integration.name}" may not post to inbox "${request.body.inbox}" (its inboxes: ${integration.inboxes.join(', ')})`,
          )
        }
        try {
          const result = await inbound.accept(request.body, actorOf(caller))
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
          description: "An integration token sees the messages of its inboxes, a user's token those of the user's.",
          querystring: z.object({ limit: Limit }),
          response: {
            200: z.object({ items: z.array(z.object({ message: MessageOut, recipient: IdentityOut.nullable() })) }),
            401: ErrorBody,
          },
        },
      },
      async (request) => {
        const caller = callerOf(request)
        const items = []
        for (const item of await store.queuedOutbound(request.query.limit)) {
          const c = await store.getConversation(item.message.conversationId)
          if (c !== null && callerMayUseInbox(caller, c.inbox)) items.push(item)
        }
        return { items }
      },
    )

    app.post(
      '/messages/:id/delivery',
      {
        schema: {
          tags: ['channels'],
          summary: 'Report the delivery state of an outbound message (sent, delivered, read, failed)',
          description: 'With an integration token for the message\'s inbox, or a user\'s token; the report is recorded as theirs.',
          params: IdParams,
          body: DeliveryReport,
          response: { 200: MessageOut, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (request) => {
        const caller = callerOf(request)
        const message = await store.getMessage(request.params.id)
        const conversation = message ? await store.getConversation(message.conversationId) : null
        if (conversation && !callerMayUseInbox(caller, conversation.inbox)) {
          throw new ForbiddenError(`message ${request.params.id} is in inbox "${conversation.inbox}", which you cannot access`)
        }
        return recordDelivery(feed.as(actorOf(caller)), request.params.id, request.body)
      },
    )
  }
