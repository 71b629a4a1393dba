import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { userActor } from '../../../shared/actors'
import { Summary } from '../../../shared/domain'
import { RateSummaryArgs } from '../../../shared/mutations'
import { hasRole } from '../../../shared/roles'
import { regenerateRefusal, summaryId } from '../../../shared/summaries'
import { SummaryUsageOfDay } from '../../../shared/summary-usage'
import { NotFoundError } from '../../connectors/delivery'
import { BadRequestError } from '../../errors'
import type { StoreReader } from '../../store/store'
import { canReadSummary, canSeeCustomer } from '../../sync/access'
import type { ChangeFeed } from '../../sync/commit'
import { applyMutation } from '../../sync/mutations'
import { userOf } from '../auth'
import { ErrorBody, errorBody, ForbiddenError } from '../errors'
import { IdParams } from '../schemas'

const SummaryOut = Summary.meta({ id: 'Summary' })
const today = (): string => new Date().toISOString().slice(0, 10)

export const summaryRoutes =
  (store: StoreReader, feed: ChangeFeed): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['summaries']

    app.get(
      '/customers/:id/summaries',
      {
        schema: {
          tags,
          summary: "The customer's story, their conversations' wrap-ups and their calls' summaries that you may read",
          params: IdParams,
          response: { 200: z.object({ items: z.array(SummaryOut) }), 401: ErrorBody, 404: ErrorBody },
        },
      },
      async (request) => {
        const user = userOf(request)
        if (!(await store.getCustomer(request.params.id)) || !(await canSeeCustomer(store, user, request.params.id))) {
          throw new NotFoundError(`unknown customer ${request.params.id}`)
        }
        const items = []
        for (const summary of await store.summariesOf(request.params.id)) if (await canReadSummary(store, user, summary)) items.push(summary)
        return { items }
      },
    )

    app.post(
      '/customers/:id/summaries/regenerate',
      {
        schema: {
          tags,
          summary: "Ask for the customer's story afresh; it is written within seconds (at most one request per customer every 30 s)",
          params: IdParams,
          response: { 202: z.object({ queued: z.literal(true) }), 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 429: ErrorBody },
        },
      },
      async (request, reply) => {
        const user = userOf(request)
        const refusal = regenerateRefusal(await store.getSummary(summaryId('customer_story', request.params.id)), Date.now())
        if (refusal && (await canSeeCustomer(store, user, request.params.id))) {
          return reply
            .status(429)
            .header('retry-after', String(Math.ceil(refusal.waitMs / 1000)))
            .send(errorBody('rate_limited', refusal.message))
        }
        const result = await applyMutation(feed.as(userActor(user.id)), user, { name: 'regenerateSummary', args: { customerId: request.params.id } })
        if (result.outcome === 'rejected') {
          if (result.error?.startsWith('unknown customer')) throw new NotFoundError(result.error)
          throw new BadRequestError(result.error ?? 'the story cannot be asked for now')
        }
        return reply.status(202).send({ queued: true })
      },
    )

    app.post(
      '/summaries/:id/feedback',
      {
        schema: {
          tags,
          summary: 'Rate one version of a summary (thumbs up or down), kept for evaluating summarizers',
          params: IdParams,
          body: RateSummaryArgs.omit({ summaryId: true }),
          response: { 204: z.null(), 400: ErrorBody, 401: ErrorBody, 404: ErrorBody },
        },
      },
      async (request, reply) => {
        const user = userOf(request)
        const result = await applyMutation(feed.as(userActor(user.id)), user, {
          name: 'rateSummary',
          args: { ...request.body, summaryId: request.params.id },
        })
        if (result.outcome === 'rejected') {
          if (result.error?.startsWith('unknown summary')) throw new NotFoundError(result.error)
          throw new BadRequestError(result.error ?? 'the rating was refused')
        }
        return reply.status(204).send(null)
      },
    )

    app.get(
      '/summaries/usage',
      {
        schema: {
          tags,
          summary: "The summary model's use on a UTC day (requests, tokens, failures, embedded fallbacks); supervisors and admins only",
          querystring: z.object({ day: z.iso.date().optional().describe('YYYY-MM-DD (UTC); today when absent') }),
          response: { 200: SummaryUsageOfDay, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
        },
      },
      async (request) => {
        if (!hasRole(userOf(request), 'supervisor')) throw new ForbiddenError('summary model usage is visible to supervisors and admins only')
        const day = request.query.day ?? today()
        return { day, ...(await store.summaryUsage(day)) }
      },
    )
  }
