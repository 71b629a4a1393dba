import type { AddressInfo } from 'node:net'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Role, User } from '../shared/domain'
import type { InboundMessage, IngestResult } from '../shared/ingest'
import type { MutationName } from '../shared/mutations'
import type { MutationResult } from '../shared/sync'
import { connectorActor, systemActor, userActor, type Actor } from '../shared/actors'
import type { IntegrationInfo, NewIntegration } from '../shared/tokens'
import { createIntegration, revokeIntegration } from './auth/integrations'
import { TokenAuth } from './auth/token-auth'
import { tokenLifetime, tokenRoom } from './auth/tokens'
import { createToken, createUser, setPassword, updateUserAccess, type UserAccess } from './auth/users'
import { publicInboxes, ServerConfig, type ServerConfigInput } from './config'
import type { Connector, ConnectorContext } from './connectors/connector'
import { createConfiguredConnectors } from './connectors/configured'
import { recordDelivery } from './connectors/delivery'
import { OutboundDispatcher } from './connectors/dispatcher'
import { createSandboxConnector } from './connectors/sandbox/sandbox'
import { buildHttpApp } from './http/app'
import { HtmlSanitizer } from './ingest/html-sanitizer'
import { InboundService } from './ingest/inbound-service'
import { serverAttachmentsDir } from './privacy/customer-export'
import { createLeases } from './ops/leases'
import { PurgeService } from './privacy/purge'
import { RetentionService, runRetention, type RetentionDeps } from './privacy/retention'
import { AuditPruneService } from './audit/retention'
import { slaBreachService } from './reporting/sla-breaches'
import { attachmentsDir } from './connectors/email/email-connector'
import { SummaryService } from './summaries/summary-service'
import { summaryAuthorFor, summaryTiming } from './summaries/configured-author'
import { ServerMetrics } from './ops/metrics'
import { sendRefusal } from './rules/send-policy'
import { openStore } from './store/open-store'
import { ChangeFeed } from './sync/commit'
import { applyMutation } from './sync/mutations'
import { answerRefusal, answerSurvey, surveyOf, type AnswerOutcome } from './csat/surveys'
import type { CsatRating, SurveyChannel } from '../shared/csat'
import type { ClusterFanout } from './sync/cluster'
import { attachSyncSocket } from './sync/socket'

/** How often the retention lease's holder looks whether a day has passed since the last run. */
const RETENTION_CHECK_MS = 3_600_000

export type { ServerConfig, ServerConfigInput } from './config'

export interface SyncServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string
  readonly port: number
  /**
   * Ingests as `actor` (default `system:server`: the server's own in-process callers, the demo, tests).
   * `at`: when it arrived (the demo generator replays a history), so what it changes is dated then; defaults to now.
   */
  ingest(item: InboundMessage, actor?: Actor, options?: { at?: number }): Promise<IngestResult>
  applyMutation(
    user: User,
    mutation: { name: MutationName; args: unknown },
    origin?: { clientId: string; mutationId: number },
    /** `at`: when the action happened (the demo generator replays a history); defaults to now. */
    options?: { at?: number },
  ): Promise<MutationResult>
  createUser(input: { name: string; email: string; role: Role; team?: string | null; inboxes?: string[] | null }): Promise<User>
  updateUserAccess(userId: string, access: UserAccess): Promise<User>
  /** The plaintext token, shown once; only its hash is stored. */
  createToken(userId: string, label?: string): Promise<string>
  /** An integration allowed to post inbound items to `inboxes`, with its token (shown once). */
  createIntegration(input: NewIntegration): Promise<{ integration: IntegrationInfo; token: string }>
  revokeIntegration(id: string): Promise<boolean>
  /** Sets the password the user signs in with (stored as a salted scrypt hash). */
  setPassword(userId: string, password: string): Promise<void>
  hasPassword(userId: string): Promise<boolean>
  findUserByEmail(email: string): Promise<User | null>
  /** The survey the conversation's customer was sent last, if it asked about this conversation and still takes an answer at `at`. */
  openSurvey(conversationId: string, at?: number): Promise<{ id: string; channel: SurveyChannel } | null>
  /** Records a rating as the email page and the chat widget do (the demo's customers answering). */
  answerSurvey(surveyId: string, rating: CsatRating, options?: { at?: number }): Promise<AnswerOutcome>
  counts(): Promise<{ customers: number; conversations: number; messages: number; lastSeq: number }>
  close(): Promise<void>
}

const VERSION = '0.1.0'

/** Longer than any real mail takes to sanitize (milliseconds), short enough that a hostile one costs little. */
const HTML_BUDGET_MS = 2_000

/**
 * Starts the sync server: the store (SQLite, or PostgreSQL when databaseUrl is set), HTTP (REST +
 * OpenAPI), socket.io sync and outbound delivery. Defaults differ from `npm run server` where
 * tests need it: port 0 (a free port) and log level `warn`.
 */
export async function startServer(config: Partial<ServerConfigInput> & { dbPath: string }): Promise<SyncServer> {
  const cfg = ServerConfig.parse({ port: 0, logLevel: 'warn', ...config })
  const connectors = [...createConfiguredConnectors(cfg), ...(cfg.outbound === 'sandbox' ? [createSandboxConnector()] : [])]
  let app: FastifyInstance | null = null
  // The HTTP app owns the logger, and the services the app serves need it: log through it lazily.
  const log = {
    info: (obj: object, msg: string) => app?.log.info(obj, msg),
    warn: (obj: object, msg: string) => app?.log.warn(obj, msg),
    error: (obj: object, msg: string) => app?.log.error(obj, msg),
  }
  const store = await openStore(cfg, log)
  const feed = new ChangeFeed(store)
  const auth = new TokenAuth(store, tokenLifetime(cfg))
  /** The server's own changes: the in-process API (demo, tests) and the accounts it creates. */
  const serverCommit = feed.as(systemActor('server'))
  const sanitizer = new HtmlSanitizer({ budgetMs: HTML_BUDGET_MS }, log)
  const metrics = new ServerMetrics()
  metrics.measureOutboundLag(async () => (await store.queuedOutbound(1))[0]?.message.sentAt ?? null)
  const windows = { switchMs: cfg.channelSwitchWindowHours * 3_600_000, reopenMs: cfg.reopenWindowHours * 3_600_000 }
  const inbound = new InboundService(store, feed, cfg.defaultCountry, windows, sanitizer, log, metrics)
  const purger = new PurgeService(store, {
    attachmentsDir: attachmentsDir(path.dirname(path.resolve(cfg.dbPath))),
    intervalMs: cfg.erasurePurgeCheckMs,
    log,
  })
  const retention: RetentionDeps = {
    store,
    commit: feed.as(systemActor('retention')),
    attachmentsDir: attachmentsDir(path.dirname(path.resolve(cfg.dbPath))),
    log,
    purgeSoon: () => purger.soon(),
  }
  const dispatcher = new OutboundDispatcher(store, feed, connectors, log, metrics, (message) =>
    sendRefusal(store, cfg.messagingRules, message),
  )

  const inboxes = publicInboxes(cfg)
  let socket: ReturnType<typeof attachSyncSocket> | null = null
  let cluster: ClusterFanout | null = null
  try {
    app = await buildHttpApp({
      store,
      feed,
      auth,
      inbound,
      metrics,
      redis: cfg.redisUrl ? { ping: () => (cluster ? cluster.ping() : Promise.reject(new Error('redis is not connected yet'))) } : undefined,
      connectors,
      logLevel: cfg.logLevel,
      version: VERSION,
      trustProxy: cfg.trustProxy,
      inboxes,
      // A revoked token must stop receiving changes at once, not at its next request.
      onTokenRevoked: (tokenHash) => socket?.io.in(tokenRoom(tokenHash)).disconnectSockets(true),
      privacy: { graceDays: cfg.erasureGraceDays, purgeSoon: () => purger.soon() },
      attachmentsDir: serverAttachmentsDir(cfg),
      runRetention: (options) => runRetention(retention, options),
    })
    socket = attachSyncSocket(app.server, { store, feed, auth, log, inboxes, metrics })
    if (cfg.redisUrl) {
      // Loaded only with a Redis URL: a single node starts without the Redis client.
      const { attachClusterFanout } = await import('./sync/cluster')
      cluster = await attachClusterFanout({ redisUrl: cfg.redisUrl, sockets: socket, feed, log })
    }
    await app.listen({ host: cfg.host, port: cfg.port })
  } catch (err) {
    await cluster?.close()
    await socket?.close()
    await app?.close()
    await sanitizer.close()
    await store.close()
    throw err
  }
  const httpApp = app
  // Work one node of the cluster does at a time; with SQLite (one node) every lease is granted at once.
  const leases = createLeases({ databaseUrl: cfg.databaseUrl, retryMs: cfg.leaseRetryMs, log, metrics })

  const shared: Omit<ConnectorContext, 'commit' | 'ingest' | 'reportDelivery'> = {
    httpServer: httpApp.server,
    store,
    auth,
    log,
    agents: socket.presence,
    leases,
    notices: {
      canSend: (inbox) => connectors.some((c) => c.inbox === inbox && c.sendNotice),
      async send(inbox, notice) {
        const connector = connectors.find((c) => c.inbox === inbox && c.sendNotice)
        if (!connector?.sendNotice) throw new Error(`inbox "${inbox}" has no connector that sends email`)
        await connector.sendNotice(notice)
      },
    },
  }
  // Each connector's changes, and the items it hands over, are recorded as its own.
  const contextOf = (connector: Connector): ConnectorContext => {
    const actor = connectorActor(connector.name)
    const commit = feed.as(actor)
    return {
      ...shared,
      commit,
      ingest: (item: InboundMessage) => inbound.accept(item, actor),
      reportDelivery: async (messageId, report) => {
        try {
          await recordDelivery(commit, messageId, report)
        } catch (err) {
          log.error({ err, messageId }, 'recording a delivery report failed')
        }
      },
    }
  }
  for (const c of connectors) await c.start(contextOf(c))
  // Sending from two nodes would send twice: the owner of `outbound` sends every reply, and hears
  // of replies committed on other nodes through Redis.
  const releaseOutbound = leases.hold('outbound', { start: async () => dispatcher.start(), stop: () => dispatcher.stop() })
  cluster?.onRemoteCommit((commit) => {
    if (commit.queuesOutbound) dispatcher.rescan()
  })
  const releaseDeadLetters = leases.hold('dead-letters', { start: async () => inbound.startRetrying(), stop: () => inbound.stop() })
  const summaries = new SummaryService(store, feed, summaryAuthorFor(cfg, store, log), summaryTiming(cfg), log)
  const releaseSummaries = leases.hold('summaries', summaries)
  const releasePurge = leases.hold('privacy-purge', purger)
  const releaseRetention = leases.hold('retention', new RetentionService(retention, { checkEveryMs: RETENTION_CHECK_MS }))
  const releaseAuditPrune = leases.hold('audit-prune', new AuditPruneService(store, { retentionDays: cfg.auditRetentionDays, log }))
  const releaseSlaBreaches = leases.hold('sla-breaches', slaBreachService({ store, commit: feed.as(systemActor('sla')), log }, { checkEveryMs: cfg.slaCheckMs }))

  const port = (httpApp.server.address() as AddressInfo).port
  const urlHost = cfg.host === '0.0.0.0' || cfg.host === '::' ? '127.0.0.1' : cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host
  let closing: Promise<void> | null = null

  return {
    url: `http://${urlHost}:${port}`,
    port,
    ingest: (item, actor = systemActor('server'), options) => inbound.accept(item, actor, options?.at),
    applyMutation: (user, mutation, origin, options) => {
      const at = options?.at
      return applyMutation(feed.as(userActor(user.id)), user, mutation, origin, at === undefined ? Date.now : () => at)
    },
    createUser: (input) => createUser(serverCommit, input),
    updateUserAccess: (userId, access) => updateUserAccess(serverCommit, userId, access),
    createToken: (userId, label) => createToken(serverCommit, userId, label),
    createIntegration: (input) => createIntegration(serverCommit, input),
    revokeIntegration: (id) => revokeIntegration(serverCommit, id),
    setPassword: (userId, password) => setPassword(serverCommit, userId, password),
    hasPassword: async (userId) => (await store.passwordHashOf(userId)) !== null,
    findUserByEmail: (email) => store.getUserByEmail(email),
    async openSurvey(conversationId, at = Date.now()) {
      const conversation = await store.getConversation(conversationId)
      const survey = conversation ? surveyOf(await store.latestEventOfType(conversation.customerId, 'csat_requested')) : null
      if (!survey || survey.event.conversationId !== conversationId || answerRefusal(survey, at) !== null) return null
      return { id: survey.event.id, channel: survey.data.channel }
    },
    answerSurvey: (surveyId, rating, options) => answerSurvey(serverCommit, surveyId, rating, () => true, options?.at),
    counts: () => store.counts(),
    close() {
      closing ??= (async () => {
        await releaseAuditPrune()
        await releaseSlaBreaches()
        await releaseRetention()
        await releasePurge()
        await releaseSummaries()
        await releaseDeadLetters()
        await releaseOutbound()
        for (const c of connectors) await c.stop()
        // Each work's lease was given up as it stopped (another node takes it over now); this ends the lock session.
        await leases.close()
        await socket.close()
        await httpApp.close()
        // Last of the three: the commits of requests finishing above still tell the other nodes.
        await cluster?.close()
        await sanitizer.close()
        await store.close()
      })()
      return closing
    },
  }
}
