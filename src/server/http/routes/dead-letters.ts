import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { StoreReader } from '../../store/store'
import { userOf } from '../auth'
import { ErrorBody, ForbiddenError } from '../errors'

const DeadLetterOut = z
  .object({
    id: z.number(),
    kind: z.string(),
    payload: z.unknown(),
    error: z.string(),
    attempts: z.number(),
    nextAttemptAt: z.number(),
  })
  .meta({ id: 'DeadLetter' })

/**
 * Inbound items accepted but not yet processed, and signed webhooks refused as malformed: what
 * supervisors watch when something is stuck or a provider sends what cannot be read.
 */
export const deadLetterRoutes =
  (store: StoreReader): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/dead-letters',
      {
        schema: {
          tags: ['channels'],
          summary: 'Inbound items whose processing failed, retried with backoff, and refused webhooks (supervisors only)',
          description:
            'Kind `inbound`: an accepted item, retried until it is stored. Kind `refused-webhook`: a signed provider payload ' +
            'refused as malformed (400), kept as `{ url, body }` with the reason and never retried (nextAttemptAt is 2^53 - 1).',
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
          response: { 200: z.object({ items: z.array(DeadLetterOut) }), 401: ErrorBody, 403: ErrorBody },
        },
      },
      async (request) => {
        if (userOf(request).role !== 'supervisor') throw new ForbiddenError('dead letters are visible to supervisors only')
        // Every letter, due or not, soonest retry first.
        return { items: store.dueDeadLetters(Number.MAX_SAFE_INTEGER, request.query.limit) }
      },
    )
  }
