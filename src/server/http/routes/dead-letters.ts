import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { hasRole } from '../../../shared/roles'
import type { StoreReader } from '../../store/store'
import { scopeOf } from '../../sync/access'
import { userOf } from '../auth'
import { ErrorBody, ForbiddenError } from '../errors'

const DeadLetterOut = z
  .object({
    id: z.number(),
    kind: z.string(),
    inbox: z.string().nullable().describe('The inbox the payload arrived for; null when it cannot be told'),
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
          summary: 'Inbound items whose processing failed, retried with backoff, and refused webhooks (supervisors and admins)',
          description:
            'Kind `inbound`: an accepted item, retried until it is stored. Kind `refused-webhook`: a signed provider payload ' +
            'refused as malformed (400), kept as `{ url, body }` with the reason and never retried (nextAttemptAt is 2^53 - 1). ' +
            'A supervisor sees the letters of the inboxes they may see; letters of no known inbox only a supervisor who sees every inbox.',
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
          response: { 200: z.object({ items: z.array(DeadLetterOut) }), 401: ErrorBody, 403: ErrorBody },
        },
      },
      async (request) => {
        const user = userOf(request)
        if (!hasRole(user, 'supervisor')) throw new ForbiddenError('dead letters are visible to supervisors and admins only')
        // Payloads hold customers' messages and addresses: a supervisor's inboxes bound them as they bound conversations.
        return { items: await store.deadLetters(scopeOf(user), request.query.limit) }
      },
    )
  }
