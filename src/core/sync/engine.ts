import { io, type Socket } from 'socket.io-client'
import { z } from 'zod'
import type { Database } from 'better-sqlite3'
import type { AgentStatus } from '../../shared/agent-status'
import type { User } from '../../shared/domain'
import { hasRole } from '../../shared/roles'
import type { InboxInfo } from '../../shared/inbox-settings'
import type { InboundArrived, MentionsArrived, PresenceEntry, SlaBreachesArrived, SyncState, SyncStatus } from '../../shared/ipc'
import type { EventBlock } from '../../shared/reporting/event-block'
import {
  AgentStatusNotice,
  parseChange,
  Poke,
  PresenceNotice,
  TypingNotice,
  PullResponse,
  unpackPullResponse,
  PushResponse,
  SOCKET_PATH,
  SocketError,
  WhoamiResponse,
  type ClientToServerEvents,
  type EntityChange,
  type PullRequest,
  type PushRequest,
  type ServerToClientEvents,
} from '../../shared/sync'
import {
  countOutbox,
  deleteOutbox,
  failOutbox,
  forgetSyncedRows,
  getConversation,
  getEntity,
  getSavedInboxes,
  getSyncedScope,
  getSyncMeta,
  getUser,
  isReportAction,
  listPendingOutbox,
  saveInboxes,
  setSyncedScope,
  setSyncUser,
  upsertServerEntity,
  type OutboxRow,
} from '../db/queries'
import { beginBulkLoad, bulkLoadPending, finishBulkLoad } from '../db/bulk-load'
import { startAfreshOrRefuse } from '../db/open'
import { applyBatch, type Touched } from './apply'
import { scrubErasedBytes } from '../db/erasure'
import { arrivedMentions, arrivedSlaBreaches, InboundAnnouncer, newInboundMessages, newMentions, newSlaBreaches, ownInbound } from './inbound-notify'
import { customerOfSummaryAction, isSummaryAction } from './local-summaries'

export interface SyncEngineOptions {
  db: Database
  serverUrl: string
  token: string
  batchSize: number
  onState: (state: SyncState) => void
  onChanged: (touched: Touched) => void
  /** New inbound messages in the agent's own conversations (one announcement per catch-up). */
  onInbound?: (arrived: InboundArrived) => void
  /** New notes naming the signed-in agent, as they arrive (never those of the first sync). */
  onMentions?: (arrived: MentionsArrived) => void
  /** SLA targets of the signed-in supervisor's team that passed unmet, as they arrive (never those of the first sync). */
  onSlaBreaches?: (arrived: SlaBreachesArrived) => void
  /** Who else is viewing or typing in a conversation (the signed-in agent left out). */
  onPresence?: (presence: { conversationId: string; others: PresenceEntry[] }) => void
  /** A conversation's customer (a chat visitor) typing or stopping. */
  onCustomerTyping?: (notice: TypingNotice) => void
  /** Every user's online status changed (supervisors and admins only: the server tells agents nothing). */
  onAgents?: (agents: AgentStatus[]) => void
  /** How long to wait for the server's acknowledgement of a pull or push. */
  ackTimeoutMs?: number
  /**
   * How long an initial sync cut short waits for the server before its indexes are built anyway,
   * so that what it holds can be read and searched offline; the sync then goes on row by row.
   */
  offlineIndexAfterMs?: number
  /** The server refused the token (revoked, or never valid): syncing has stopped for good. */
  onUnauthorized?: (message: string) => void
}

type SyncSocket = Socket<ServerToClientEvents, ClientToServerEvents>

/** An error the server answered with, or a condition that retrying will not fix. */
class SyncRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'SyncRequestError'
  }
}

/** A pull response whose changes are left for parseChange, so each is validated only once. */
const PullEnvelope = PullResponse.extend({ changes: z.array(z.unknown()) })
type PullEnvelope = z.infer<typeof PullEnvelope>

const PUSH_BATCH = 100
/** The protocol's largest pull, and how much larger than usual the pulls of a bulk load are. */
const MAX_PULL_BATCH = 10_000
const BULK_BATCH_FACTOR = 5
const WHOAMI_TIMEOUT_MS = 5_000
const RETRY_MIN_MS = 500
const RETRY_MAX_MS = 15_000
const OFFLINE_INDEX_AFTER_MS = 30_000

/**
 * Keeps the cache in step with the server over socket.io. Every piece of sync work (pull,
 * poke, push) runs through one queue, so there is only ever one writer applying server
 * changes and a batch is always applied against the cursor it was requested with.
 */
export class SyncEngine {
  private readonly socket: SyncSocket
  private queue: Promise<void> = Promise.resolve()
  private status: SyncStatus = 'connecting'
  private lastError: string | null = null
  private lastEmitted = ''
  private closed = false
  private fatal = false
  private pushQueued = false
  private retryTimer: NodeJS.Timeout | null = null
  private reconnectTimer: NodeJS.Timeout | null = null
  private indexTimer: NodeJS.Timeout | null = null
  private failures = 0
  private readonly userWaiters = new Set<() => void>()
  /** The inboxes the server described at the last whoami (kept in the cache); null before the first. */
  private inboxes: InboxInfo[] | null = null
  private readonly ackTimeoutMs: number
  private readonly inbound: InboundAnnouncer
  private viewing: string | null = null
  private away = false
  /** The last user statuses the server sent, as JSON too, to tell a resend from a change. */
  private agents: AgentStatus[] = []
  private agentsKey = '[]'
  private received = 0
  /** A batch deleted content: its bytes leave the cache file, search index and WAL once the pull catches up. */
  private scrubPending = false

  constructor(private readonly options: SyncEngineOptions) {
    // What the server deletes (an erased customer, a tombstone) is overwritten in the cache file, not only unlinked.
    options.db.pragma('secure_delete = ON')
    this.inboxes = getSavedInboxes(options.db)
    this.ackTimeoutMs = options.ackTimeoutMs ?? 15_000
    this.inbound = new InboundAnnouncer((arrived) => options.onInbound?.(arrived))
    this.socket = io(options.serverUrl, {
      path: SOCKET_PATH,
      auth: { token: options.token },
      transports: ['websocket'],
      autoConnect: false,
      reconnection: true,
      reconnectionDelay: RETRY_MIN_MS,
      reconnectionDelayMax: 10_000,
      randomizationFactor: 0.5,
    })
    this.socket.on('connect', () => this.onConnect())
    this.socket.on('disconnect', (reason) => this.onDisconnect(reason))
    this.socket.on('connect_error', (err) => this.onConnectError(err))
    this.socket.on('poke', (poke) => this.onPoke(poke))
    this.socket.on('presence', (raw) => this.onPresenceNotice(raw))
    this.socket.on('agents', (raw) => this.onAgentStatuses(raw))
    this.socket.on('typing', (raw) => {
      const notice = TypingNotice.safeParse(raw)
      if (notice.success) this.options.onCustomerTyping?.(notice.data)
    })
  }

  start(): void {
    this.emitState()
    this.armOfflineIndexBuild()
    this.socket.connect()
  }

  state(): SyncState {
    const meta = getSyncMeta(this.options.db)
    const { pending, failed } = countOutbox(this.options.db)
    return {
      status: this.status,
      pending,
      failed,
      cursor: meta?.cursor ?? 0,
      lastError: this.lastError,
      lastSyncedAt: meta?.lastSyncedAt ?? null,
      ...(this.status === 'syncing' ? { received: this.received } : {}),
    }
  }

  /** Sends the outbox soon; several calls in a row send once. */
  schedulePush(): void {
    this.emitState()
    if (this.pushQueued || !this.socket.connected || this.closed) return
    this.pushQueued = true
    void this.enqueue(async () => {
      this.pushQueued = false
      await this.pushAll()
    })
  }

  /** Reconnects (or syncs) now instead of waiting out the backoff. */
  retryNow(): void {
    if (this.closed || this.fatal) return
    this.clearTimers()
    this.failures = 0
    if (this.socket.connected) {
      void this.enqueue(() => this.syncAll())
      return
    }
    // connect() alone waits for socket.io's pending backoff timer; closing first makes it dial now.
    this.socket.disconnect()
    this.socket.connect()
  }

  /** The conversation the agent has open; told to the server again after every reconnect. */
  setViewing(conversationId: string | null): void {
    this.viewing = conversationId
    if (this.socket.connected) this.socket.emit('viewing', { conversationId }, () => undefined)
  }

  setTyping(conversationId: string, typing: boolean): void {
    if (this.socket.connected) this.socket.emit('typing', { conversationId, typing }, () => undefined)
  }

  /** Whether nobody uses this device (see AwayRequest); told to the server again after every reconnect. */
  setAway(away: boolean): void {
    this.away = away
    if (this.socket.connected) this.socket.emit('status', { away }, () => undefined)
  }

  /** Every user's online status as last received; empty for an agent, whom the server never tells. */
  agentStatuses(): AgentStatus[] {
    return this.agents
  }

  /** The signed-in user, waiting up to `timeoutMs` for the first contact with the server. */
  async signedInUser(timeoutMs: number): Promise<User | null> {
    const known = this.knownUser()
    if (known || this.closed || this.fatal) return known
    await this.firstContact(timeoutMs)
    return this.knownUser()
  }

  /** Resolves at the next whoami answer, or after `timeoutMs`, whichever comes first. */
  private firstContact(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs)
      const waiters = this.userWaiters
      function done(): void {
        clearTimeout(timer)
        waiters.delete(done)
        resolve()
      }
      waiters.add(done)
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.clearTimers()
    for (const wake of [...this.userWaiters]) wake()
    this.socket.disconnect()
    await this.queue
    this.socket.removeAllListeners()
  }

  // -------------------------------------------------------------------------------------------

  private knownUser(): User | null {
    const userId = getSyncMeta(this.options.db)?.userId
    return userId ? getUser(this.options.db, userId) : null
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.closed) return
      try {
        await task()
      } catch (err) {
        this.onTaskError(err)
      }
    })
    this.queue = run
    return run
  }

  private onTaskError(err: unknown): void {
    if (this.closed) return
    const message = err instanceof z.ZodError ? `the server sent data this client cannot read: ${z.prettifyError(err)}` : err instanceof Error ? err.message : String(err)
    if (err instanceof SyncRequestError && (err.code === 'unauthorized' || err.code === 'wrong_owner')) {
      this.stopForGood(message, err.code === 'unauthorized')
      return
    }
    this.lastError = message
    if (this.socket.connected) {
      this.status = 'online'
      this.scheduleRetry()
    }
    this.emitState()
  }

  /** Tries the whole sync again later, backing off while it keeps failing. */
  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return
    const delay = this.backoff()
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      if (this.socket.connected) void this.enqueue(() => this.syncAll())
    }, delay)
  }

  private backoff(): number {
    this.failures += 1
    const base = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.failures, 10))
    return Math.round(base / 2 + Math.random() * (base / 2))
  }

  private stopForGood(message: string, unauthorized = false): void {
    this.fatal = true
    this.status = 'offline'
    this.lastError = message
    this.clearTimers()
    this.socket.disconnect()
    for (const wake of [...this.userWaiters]) wake()
    this.emitState()
    if (unauthorized) this.options.onUnauthorized?.(message)
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer)
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
    if (this.indexTimer) clearTimeout(this.indexTimer)
    this.retryTimer = null
    this.reconnectTimer = null
    this.indexTimer = null
  }

  /**
   * An initial sync cut short (see pullAll) resumes without its indexes when the server is back.
   * While the server stays out of reach, the cache is what the agent has: it is indexed then.
   */
  private armOfflineIndexBuild(): void {
    if (this.indexTimer || this.closed || !bulkLoadPending(this.options.db)) return
    this.indexTimer = setTimeout(() => {
      this.indexTimer = null
      void this.enqueue(async () => {
        if (this.socket.connected || !bulkLoadPending(this.options.db)) return
        finishBulkLoad(this.options.db)
        // Search finds what it could not while the index was suspended.
        this.options.onChanged({ entities: ['customer', 'message', 'note'], customerIds: [] })
      })
    }, this.options.offlineIndexAfterMs ?? OFFLINE_INDEX_AFTER_MS)
  }

  private onConnect(): void {
    if (this.closed) return
    if (this.indexTimer) clearTimeout(this.indexTimer)
    this.indexTimer = null
    this.status = 'syncing'
    this.emitState()
    if (this.viewing) this.socket.emit('viewing', { conversationId: this.viewing }, () => undefined)
    // A new connection counts as in use until it says otherwise.
    if (this.away) this.socket.emit('status', { away: true }, () => undefined)
    void this.enqueue(() => this.syncAll())
  }

  private onDisconnect(reason: string): void {
    // Whatever was buffered for the old connection must not be replayed on the next one:
    // the sync after reconnecting re-sends what is still needed, against the current cursor.
    this.socket.sendBuffer.length = 0
    if (this.closed || this.fatal) return
    this.status = 'offline'
    this.lastError = `disconnected from ${this.options.serverUrl} (${reason})`
    this.emitState()
    this.armOfflineIndexBuild()
    // socket.io reconnects by itself except after the server dropped us on purpose.
    if (!this.socket.active) this.scheduleReconnect()
  }

  private onConnectError(err: Error): void {
    if (this.closed || this.fatal) return
    if (err.message === 'unauthorized') {
      this.stopForGood(`The server at ${this.options.serverUrl} refused the sign-in token (unauthorized).`, true)
      return
    }
    this.status = 'offline'
    // socket.io's own words ("websocket error", "xhr poll error") mean nothing to an agent.
    this.lastError = `Cannot reach the server at ${this.options.serverUrl}: it may be down, or this computer offline. Retrying.`
    this.emitState()
    this.armOfflineIndexBuild()
    if (!this.socket.active) this.scheduleReconnect()
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.closed || this.fatal) return
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null
      if (!this.closed && !this.fatal && !this.socket.connected) this.socket.connect()
    }, this.backoff())
  }

  private onPresenceNotice(raw: unknown): void {
    const notice = PresenceNotice.safeParse(raw)
    if (!notice.success) return
    const me = getSyncMeta(this.options.db)?.userId
    this.options.onPresence?.({ conversationId: notice.data.conversationId, others: notice.data.users.filter((u) => u.userId !== me) })
  }

  private onAgentStatuses(raw: unknown): void {
    const notice = AgentStatusNotice.safeParse(raw)
    if (!notice.success) return
    const key = JSON.stringify(notice.data.agents)
    if (key === this.agentsKey) return
    this.agents = notice.data.agents
    this.agentsKey = key
    this.options.onAgents?.(this.agents)
  }

  private onPoke(raw: unknown): void {
    void this.enqueue(async () => {
      const poke = Poke.safeParse(raw)
      const cursor = getSyncMeta(this.options.db)?.cursor ?? 0
      if (!poke.success) {
        // The pull path validates change by change and reports what is wrong.
        await this.pullAll()
        return
      }
      if (poke.data.cursor <= cursor) return
      if (poke.data.after !== cursor) {
        await this.pullAll()
        return
      }
      this.apply(cursor, poke.data.cursor, poke.data.changes.map((c) => parseChange(c)))
      // A live change is the whole catch-up: its deleted bytes leave the files now.
      this.scrubIfPending()
    })
  }

  /** Once per catch-up, not per batch: merging the search index costs the more, the larger it is. */
  private scrubIfPending(): void {
    if (!this.scrubPending || this.closed) return
    this.scrubPending = false
    scrubErasedBytes(this.options.db)
  }

  /** After (re)connecting: who am I, send what is queued, then catch up. */
  private async syncAll(): Promise<void> {
    this.received = 0
    this.status = 'syncing'
    this.emitState()
    await this.whoami()
    await this.pushAll()
    // A first sync announces nothing, also when it resumes after being cut short.
    this.inbound.beginCatchUp((getSyncMeta(this.options.db)?.cursor ?? 0) === 0 || bulkLoadPending(this.options.db))
    try {
      await this.pullAll()
    } finally {
      this.inbound.endCatchUp()
    }
    if (this.closed || !this.socket.connected) return
    this.status = 'online'
    this.failures = 0
    this.lastError = null
    this.emitState()
  }

  private async whoami(): Promise<void> {
    let user: User
    let inboxes: InboxInfo[]
    try {
      ;({ user, inboxes } = WhoamiResponse.parse(await this.request('whoami', {}, WHOAMI_TIMEOUT_MS)))
    } catch (err) {
      if (err instanceof SyncRequestError && err.code === 'unauthorized') throw err
      // An older server without whoami still syncs; only the session is unknown then.
      return
    }
    if (this.closed) return
    const db = this.options.db
    const meta = getSyncMeta(db)
    db.transaction(() => {
      if (meta?.userId && meta.userId !== user.id) {
        try {
          startAfreshOrRefuse(db, `another user (${meta.userId})`, this.options.serverUrl)
        } catch (err) {
          throw new SyncRequestError('wrong_owner', (err as Error).message)
        }
      }
      // Access changed since the cache was filled (inboxes, or reporting data with the role): start it over under the new scope.
      const scope = getSyncedScope(db)
      const reports = hasRole(user, 'supervisor')
      if (scope !== undefined && (!sameInboxes(scope.inboxes, user.inboxes) || scope.reports !== reports)) forgetSyncedRows(db)
      setSyncedScope(db, { inboxes: user.inboxes, reports })
      setSyncUser(db, user.id)
      saveInboxes(db, inboxes)
      // Only until the change log delivers the row: the cache must not run ahead of its cursor.
      if (!getEntity(db, 'user', user.id)) upsertServerEntity(db, 'user', user)
    })()
    const inboxesChanged = JSON.stringify(inboxes) !== JSON.stringify(this.inboxes)
    this.inboxes = inboxes
    for (const wake of [...this.userWaiters]) wake()
    // Inbox settings come with the user, so the UI refreshes them with it.
    if (meta?.userId !== user.id || inboxesChanged) this.options.onChanged({ entities: ['user'], customerIds: [] })
  }

  /**
   * The inboxes this user may see as the server last described them, waiting up to
   * `timeoutMs` for the first contact; null while this cache has never reached the server.
   */
  async inboxSettings(timeoutMs: number): Promise<InboxInfo[] | null> {
    if (this.inboxes || this.closed || this.fatal) return this.inboxes
    await this.firstContact(timeoutMs)
    return this.inboxes
  }

  /**
   * Pulls until caught up. The next batch is requested before the current one is applied, so
   * the server reads and sends it while this process commits; it is still applied only after
   * the current batch, against the cursor it was requested with (applyBatch checks that).
   *
   * An empty cache with more than one batch to come is filled without its indexes, in larger
   * batches, and indexed once caught up (see bulk-load.ts). A fill cut short (the connection
   * lost, the app closed or killed) stays that way and goes on at the same pace when the sync
   * resumes, rather than building its indexes first and going on row by row.
   */
  private async pullAll(): Promise<void> {
    if (this.closed || !this.socket.connected) return
    const db = this.options.db
    let after = getSyncMeta(db)?.cursor ?? 0
    const empty = after === 0
    let bulk = bulkLoadPending(db)
    let caughtUp = false
    // A first fill announces nothing, so its reporting events may come as one block (PullRequest.eventBlock).
    const filling = () => empty || bulk
    let next: Promise<PullEnvelope> | null = this.pull(after, this.pullLimit(bulk), filling())
    try {
      while (next) {
        const response: PullEnvelope = await next
        if (this.closed) return
        if (empty && !bulk && response.hasMore) {
          beginBulkLoad(db)
          bulk = true
        }
        next =
          response.hasMore && this.socket.connected
            ? this.pull(response.cursor, this.pullLimit(bulk, response), filling())
            : null
        // Validated change by change: each entity's schema once, the envelope without them.
        const changes = response.changes.map((c) => parseChange(c))
        this.apply(after, response.cursor, changes, response.eventBlock)
        after = response.cursor
        caughtUp = !response.hasMore
      }
    } finally {
      if (bulk && caughtUp && !this.closed) finishBulkLoad(db)
      this.scrubIfPending()
    }
  }

  /**
   * How many changes to ask for. A page's limit counts its reporting events too, though they come
   * as one block that costs little to apply: a bulk page is widened by the last page's share of
   * events, so a supervisor's pages hold as many other changes, and take as many commits, as an
   * agent's.
   */
  private pullLimit(bulk: boolean, last?: PullEnvelope): number {
    if (!bulk) return this.options.batchSize
    const rows = Math.min(MAX_PULL_BATCH, this.options.batchSize * BULK_BATCH_FACTOR)
    const events = last?.eventBlock?.length ?? 0
    const others = last?.changes.length ?? 0
    if (events === 0) return rows
    return Math.min(MAX_PULL_BATCH, Math.round((rows * (events + others)) / Math.max(others, 1)))
  }

  private pull(after: number, limit: number, eventBlock: boolean): Promise<PullEnvelope> {
    const pending = this.request('pull', { after, limit, latest: true, eventBlock } satisfies PullRequest).then((raw) => PullEnvelope.parse(unpackPullResponse(raw)))
    // A prefetched batch whose predecessor failed is never awaited; its failure is not news.
    pending.catch(() => undefined)
    return pending
  }

  private apply(after: number, cursor: number, changes: EntityChange[], eventBlock?: EventBlock): void {
    this.received += changes.length + (eventBlock?.length ?? 0)
    // The first sync announces nothing, so it need not look for arrivals either.
    const userId = getSyncMeta(this.options.db)?.userId ?? null
    const arriving = this.inbound.listening ? newInboundMessages(this.options.db, changes) : []
    const mentioning = this.inbound.listening ? newMentions(this.options.db, changes, userId) : []
    const breaches = this.inbound.listening ? newSlaBreaches(this.options.db, changes, userId) : []
    const touched = applyBatch(this.options.db, { after, cursor, changes, eventBlock })
    if (touched.deletedContent) this.scrubPending = true
    // Only after the commit: an announced message is always in the cache.
    this.inbound.add(ownInbound(this.options.db, arriving, userId))
    if (mentioning.length > 0) this.options.onMentions?.({ items: arrivedMentions(this.options.db, mentioning) })
    const breached = arrivedSlaBreaches(this.options.db, breaches)
    if (breached.length > 0) this.options.onSlaBreaches?.({ items: breached })
    if (touched.entities.length > 0) this.options.onChanged(touched)
    this.emitState()
  }

  private async pushAll(): Promise<void> {
    const db = this.options.db
    let batchSize = PUSH_BATCH
    for (;;) {
      if (this.closed || !this.socket.connected) return
      const clientId = getSyncMeta(db)?.clientId
      const rows = listPendingOutbox(db, batchSize)
      if (!clientId || rows.length === 0) return
      const request: PushRequest = {
        clientId,
        mutations: rows.map((r) => ({ id: r.mutationId, name: r.name, args: r.args }) as PushRequest['mutations'][number]),
      }
      let results: PushResponse['results']
      try {
        results = PushResponse.parse(await this.request('push', request)).results
      } catch (err) {
        if (!(err instanceof SyncRequestError) || err.code !== 'bad_request') throw err
        // One malformed action must not hold back the others: narrow down to it, then park it.
        if (rows.length > 1) {
          batchSize = 1
          continue
        }
        results = [{ id: rows[0]!.mutationId, outcome: 'rejected', error: err.message }]
      }
      if (this.closed) return
      const settled = this.settle(rows, results)
      if (settled === 0) throw new Error('the server acknowledged none of the pushed actions')
    }
  }

  /** Records the server's verdicts in one transaction; returns how many rows it settled. */
  private settle(rows: OutboxRow[], results: PushResponse['results']): number {
    const db = this.options.db
    const byId = new Map(rows.map((r) => [r.mutationId, r]))
    const customerIds = new Set<string>()
    let summaries = false
    let settled = 0
    db.transaction(() => {
      for (const result of results) {
        const row = byId.get(result.id)
        if (!row) continue
        settled += 1
        if (result.outcome === 'rejected') failOutbox(db, { mutationId: row.mutationId, error: result.error ?? 'refused by the server' })
        else deleteOutbox(db, row.mutationId)
        // A summary action belongs to no conversation: its customer comes from its args or its summary.
        const summary = isSummaryAction(row)
        summaries ||= summary
        const customerId = summary ? customerOfSummaryAction(db, row) : getConversation(db, row.conversationId)?.customerId
        if (customerId) customerIds.add(customerId)
      }
    })()
    // Reports (a timeline opened) showed nothing, so their settling changes nothing on screen either.
    if (!rows.every(isReportAction)) {
      this.options.onChanged({
        entities: summaries ? ['conversation', 'message', 'note', 'summary'] : ['conversation', 'message', 'note'],
        customerIds: [...customerIds],
      })
    }
    this.emitState()
    return settled
  }

  /** One acknowledged request; fails fast when the connection drops instead of waiting out the timeout. */
  private async request(event: 'pull' | 'push' | 'whoami', payload: unknown, timeoutMs = this.ackTimeoutMs): Promise<unknown> {
    if (!this.socket.connected) throw new Error('not connected')
    let onDisconnect: (() => void) | undefined
    const dropped = new Promise<never>((_, reject) => {
      onDisconnect = () => reject(new Error(`connection lost during ${event}`))
      this.socket.once('disconnect', onDisconnect)
    })
    // The typed emitter cannot take the event name as a union; the payload is checked by the server.
    const timed = this.socket.timeout(timeoutMs) as unknown as { emitWithAck(ev: string, arg: unknown): Promise<unknown> }
    try {
      const response = await Promise.race([
        timed.emitWithAck(event, payload).catch((err: Error) => {
          throw new Error(`the server did not answer ${event} within ${timeoutMs} ms (${err.message})`)
        }),
        dropped,
      ])
      const error = SocketError.safeParse(response)
      if (error.success) throw new SyncRequestError(error.data.error.code, `${event}: ${error.data.error.message}`)
      return response
    } finally {
      if (onDisconnect) this.socket.off('disconnect', onDisconnect)
      dropped.catch(() => undefined)
    }
  }

  private emitState(): void {
    if (this.closed) return
    const state = this.state()
    const key = JSON.stringify(state)
    if (key === this.lastEmitted) return
    this.lastEmitted = key
    this.options.onState(state)
  }
}

function sameInboxes(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b
  const sorted = [...b].sort()
  return a.length === b.length && [...a].sort().every((inbox, i) => inbox === sorted[i])
}
