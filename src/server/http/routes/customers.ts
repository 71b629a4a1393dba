import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { NotFoundError } from '../../connectors/delivery'
import type { Customer } from '../../../shared/domain'
import type { InboxScope, Store, StoreReader } from '../../store/store'
import { requestAuditBy } from '../../audit/origin'
import { recordAudit } from '../../audit/record'
import { scopeOf } from '../../sync/access'
import { userOf } from '../auth'
import { ErrorBody } from '../errors'
import { ConversationOut, CustomerOut, IdParams, IdentityOut, Limit, pageOf, TimelineEntryOut } from '../schemas'

/** The customer, if the reader may see them; one answer for unknown and out of reach, so ids reveal nothing. */
async function visibleCustomer(store: StoreReader, id: string, scope: InboxScope): Promise<Customer> {
  const customer = await store.getCustomer(id)
  if (!customer || !(await store.customerVisible(id, scope))) throw new NotFoundError(`unknown customer ${id}`)
  return customer
}

export const customerRoutes =
  (store: Store): FastifyPluginAsyncZod =>
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
        items: await store.searchCustomers({
          query: request.query.q,
          scope: scopeOf(userOf(request)),
          limit: request.query.limit,
          offset: request.query.offset,
        }),
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
        const scope = scopeOf(userOf(request))
        const customer = await visibleCustomer(store, request.params.id, scope)
        const conversations = await store.listConversations({ customerId: customer.id, scope, limit: 500 })
        return { customer, identities: await store.identitiesOf(customer.id), conversations: conversations.items }
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
        const scope = scopeOf(userOf(request))
        await visibleCustomer(store, request.params.id, scope)
        // Its first page is an opening of the timeline, as in the app; the pages after it are the same reading.
        if (!request.query.before) {
          await recordAudit(store, { ...requestAuditBy(request), action: 'timeline.opened', target: { type: 'customer', id: request.params.id } })
        }
        return store.timeline(request.params.id, scope, request.query.limit, request.query.before)
      },
    )
  }
