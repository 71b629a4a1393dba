import swagger from '@fastify/swagger'
import Fastify, { type FastifyInstance } from 'fastify'
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod'
import type { TrustProxy } from '../config'
import type { Connector } from '../connectors/connector'
import type { InboundService } from '../ingest/inbound-service'
import type { ServerMetrics } from '../ops/metrics'
import type { InboxInfo } from '../../shared/inbox-settings'
import type { TokenAuth } from '../auth/token-auth'
import type { Store } from '../store/store'
import type { ChangeFeed } from '../sync/commit'
import { requireCaller, requireToken } from './auth'
import { registerErrorHandling } from './errors'
import { loggedRequest } from './log-redaction'
import { adminRoutes } from './routes/admin'
import { auditRoutes } from './routes/audit'
import { conversationRoutes } from './routes/conversations'
import { customerRoutes } from './routes/customers'
import { customerExportRoutes } from './routes/customer-export'
import { deadLetterRoutes } from './routes/dead-letters'
import { inboundRoutes } from './routes/inbound'
import { integrationRoutes } from './routes/integrations'
import { privacyRoutes } from './routes/privacy'
import { reportRoutes } from './routes/reports'
import { retentionRoutes, type RetentionRouteDeps } from './routes/retention'
import { DEFAULT_ERASURE_GRACE_DAYS } from '../../shared/privacy'
import { opsRoutes, type OpsRouteDeps } from './routes/ops'
import { sessionRoutes } from './routes/sessions'
import { summaryRoutes } from './routes/summaries'
import { tokenRoutes } from './routes/tokens'
import { userRoutes } from './routes/users'
import { surveyPageRoutes } from '../csat/survey-page'

export interface HttpDeps {
  store: Store
  /** Connectors whose webhooks this app serves. */
  connectors: readonly Connector[]
  feed: ChangeFeed
  auth: TokenAuth
  inbound: InboundService
  metrics: ServerMetrics
  /** Redis, when nodes share live updates through it: /ready asks it too. */
  redis?: OpsRouteDeps['redis']
  logLevel: string
  version: string
  /** Which reverse proxies' X-Forwarded-For names the client (the config's `trustProxy`); none when absent. */
  trustProxy?: TrustProxy
  /** Erasures: the grace period, and who purges at once after an erasure without one. */
  privacy?: { graceDays: number; purgeSoon?: () => void }
  /** Every configured inbox (no connector settings), for admins granting access. */
  inboxes?: readonly InboxInfo[]
  /** Told the hash of each token revoked (signed out, by an admin, or by a deactivation), so live connections that used it can be closed. */
  onTokenRevoked?: (tokenHash: string) => void
  /** The folder of attachment files beside the database, which customer exports include; none when absent. */
  attachmentsDir?: string
  /** Runs retention on demand (admins' runs and dry runs); without it, the retention routes are absent. */
  runRetention?: RetentionRouteDeps['run']
}

export const API_PREFIX = '/api/v1'

/** The HTTP side: `/health`, `/ready`, `/metrics`, `/openapi.json` and the token-protected REST API under /api/v1. */
export async function buildHttpApp(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: deps.logLevel, serializers: { req: loggedRequest } },
    // Restarting on the same port needs every socket gone when close() resolves.
    forceCloseConnections: true,
    bodyLimit: 10 * 1024 * 1024,
    trustProxy: deps.trustProxy ?? false,
  }).withTypeProvider<ZodTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  registerErrorHandling(app)

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Threadline sync server API',
        description: 'Customers, conversations, messages and notes, and the API channel for inbound items.',
        version: deps.version,
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearerAuth: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  })

  await app.register(opsRoutes({ store: deps.store, metrics: deps.metrics, redis: deps.redis }))
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  // Signing in needs no token, so it sits beside the token-protected scope, not inside it.
  await app.register(sessionRoutes({ store: deps.store, feed: deps.feed, auth: deps.auth, onTokenRevoked: deps.onTokenRevoked }), {
    prefix: API_PREFIX,
  })
  await app.register(
    async (api) => {
      requireToken(api, deps.auth)
      await api.register(userRoutes(deps.store))
      await api.register(customerRoutes(deps.store))
      await api.register(customerExportRoutes({ store: deps.store, attachmentsDir: deps.attachmentsDir ?? null }))
      await api.register(conversationRoutes(deps.store, deps.feed))
      await api.register(summaryRoutes(deps.store, deps.feed))
      await api.register(deadLetterRoutes(deps.store))
      await api.register(
        tokenRoutes({ store: deps.store, feed: deps.feed, lifetime: deps.auth.lifetime, onTokenRevoked: deps.onTokenRevoked }),
      )
      await api.register(adminRoutes({ store: deps.store, feed: deps.feed, inboxes: deps.inboxes ?? [], onTokenRevoked: deps.onTokenRevoked }))
      await api.register(integrationRoutes({ store: deps.store, feed: deps.feed }))
      await api.register(auditRoutes(deps.store))
      await api.register(reportRoutes(deps.store))
      if (deps.runRetention) await api.register(retentionRoutes({ store: deps.store, run: deps.runRetention }))
      await api.register(privacyRoutes({ store: deps.store, feed: deps.feed, graceDays: DEFAULT_ERASURE_GRACE_DAYS, ...deps.privacy }))
    },
    { prefix: API_PREFIX },
  )
  // What customers open from a survey email: no token, the link carries its own proof.
  await app.register(surveyPageRoutes({ store: deps.store, feed: deps.feed }))
  // The integration routes take integration tokens as well as users'; every other route refuses them.
  await app.register(
    async (channels) => {
      requireCaller(channels, deps.auth)
      await channels.register(inboundRoutes(deps.store, deps.feed, deps.inbound))
    },
    { prefix: API_PREFIX },
  )
  // Each connector gets a scope of its own: webhook signature checks need raw-body parsers
  // that must not change how the REST API reads JSON.
  for (const connector of deps.connectors) {
    const register = connector.registerRoutes?.bind(connector)
    if (register) await app.register(async (scope) => register(scope))
  }
  return app
}
