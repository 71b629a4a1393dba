import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { ServerMetrics } from '../../ops/metrics'
import type { StoreReader } from '../../store/store'

/** Longer than a healthy database ever takes to answer one indexed read, short enough for a load balancer's probe. */
const READY_TIMEOUT_MS = 2_000

export interface OpsRouteDeps {
  store: Pick<StoreReader, 'lastSeq'>
  metrics: ServerMetrics
  /** Set when nodes share live updates through Redis: then Redis must answer too. */
  redis?: { ping(): Promise<void> }
}

/** Answers with what `check` resolves to, or refuses once `ms` pass: a stuck database must not hang the probe. */
async function within<T>(check: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([check, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * For load balancers, orchestrators and Prometheus, without a token: `/health` says the process
 * answers (restart it if not), `/ready` that it can serve (send it traffic if so), `/metrics` the
 * node's counters and timings. None of them says anything about a customer.
 */
export const opsRoutes =
  (deps: OpsRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/health',
      {
        schema: {
          tags: ['meta'],
          summary: 'Liveness: the process answers (no token needed; the database is not asked)',
          security: [],
          response: { 200: z.object({ status: z.literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    )

    app.get(
      '/ready',
      {
        schema: {
          tags: ['meta'],
          summary: 'Readiness: the database (and Redis, when configured) answer (no token needed); 503 with the reasons when not',
          security: [],
          response: {
            200: z.object({ status: z.literal('ready'), lastSeq: z.number() }),
            503: z.object({ status: z.literal('unavailable'), problems: z.array(z.string()) }),
          },
        },
      },
      async (request, reply) => {
        const [database, redis] = await Promise.allSettled([
          within(deps.store.lastSeq(), READY_TIMEOUT_MS, 'the database'),
          deps.redis ? within(deps.redis.ping(), READY_TIMEOUT_MS, 'redis') : Promise.resolve(),
        ])
        if (database.status === 'fulfilled' && redis.status === 'fulfilled') return { status: 'ready' as const, lastSeq: database.value }
        const problems = [database, redis].flatMap((r) => (r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : []))
        request.log.warn({ problems }, 'not ready')
        return reply.status(503).send({ status: 'unavailable' as const, problems })
      },
    )

    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
      reply.header('content-type', deps.metrics.contentType).send(await deps.metrics.text()),
    )
  }
