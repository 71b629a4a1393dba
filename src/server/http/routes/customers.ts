import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { NotFoundError } from '../../connectors/delivery'
import type { StoreReader } from '../../store/store'
import { scopeOf } from '../../sync/access'
import { userOf } from '../auth'
import { ErrorBody } from '../errors'
import { ConversationOut, CustomerOut, IdParams, IdentityOut, Limit, pageOf, TimelineEntryOut } from '../schemas'

export const customerRoutes =
  (store: StoreReader): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['customers']

    app.get(
      '/customers',
      {
        schema: {
          tags,
          summary: 'List customers, most recently active first, or search by name or address',
          querystring: z.object({
            q: z.string().trim().min(1).max(200).optional(),
            limit: Limit,
            offset: z.coerce.number().int().min(0).default(0),
          }),
          response: { 200: z.object({ items: z.array(CustomerOut) }), 400: ErrorBody, 401: ErrorBody },
        },
      },
      async (request) => ({
        items: store.searchCustomers({ query: request.query.q, limit: request.query.limit, offset: request.query.offset }),
      }),
    )

    app.get(
      '/customers/:id',
      {
        schema: {
          tags,
          summary: 'A customer with their identities and the conversations you may see',
          params: IdParams,
          response: {
            200: z.object({ customer: CustomerOut, identities: z.array(IdentityOut), conversations: z.array(ConversationOut) }),
            401: ErrorBody,
            404: ErrorBody,
          },
        },
      },
      async (request) => {
        const customer = store.getCustomer(request.params.id)
        if (!customer) throw new NotFoundError(`unknown customer ${request.params.id}`)
        const conversations = store.listConversations({ customerId: customer.id, scope: scopeOf(userOf(request)), limit: 500 })
        return { customer, identities: store.identitiesOf(customer.id), conversations: conversations.items }
      },
    )

    app.get(
      '/customers/:id/timeline',
      {
        schema: {
          tags,
          summary: "The customer's messages, notes, calls and events across channels, newest first",
          params: IdParams,
          querystring: z.object({ limit: Limit, before: z.string().max(500).optional() }),
          response: { 200: pageOf(TimelineEntryOut), 400: ErrorBody, 401: ErrorBody, 404: ErrorBody },
        },
      },
      async (request) => {
        if (!store.getCustomer(request.params.id)) throw new NotFoundError(`unknown customer ${request.params.id}`)
        return store.timeline(request.params.id, scopeOf(userOf(request)), request.query.limit, request.query.before)
      },
    )
  }
