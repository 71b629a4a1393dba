import { randomUUID } from 'node:crypto'
import type { Client as PgClient } from 'pg'
import type { ConnectorLogger } from '../connectors/connector'
import type { ServerMetrics } from './metrics'

/** Work that must run on one node of the cluster at a time. */
export interface LeasedWork {
  /** Called once the lease is won. A failure gives the lease up; it is competed for again later. */
  start(): Promise<void>
  /** Called when the lease is lost or released; resolves once nothing of the work is in hand. */
  stop(): Promise<void>
}

export interface Leases {
  /**
   * Runs `work` while this node holds the lease `name`, and competes for it while it does not.
   * Resolves at once (the lease may be won later); the function it returns stops the work if it
   * runs, gives the lease up and stops competing.
   */
  hold(name: string, work: LeasedWork): () => Promise<void>
  /** Whether this node holds `name` and its work was started. */
  owned(name: string): boolean
  /** Stops every held work, then gives every lease up (for good). */
  close(): Promise<void>
}

export interface LeaseOptions {
  /** PostgreSQL shared by the nodes; null (SQLite: one node per database file) grants every lease at once. */
  databaseUrl: string | null
  /** How often a node that does not hold a lease asks for it again, and checks its lock session (ms). */
  retryMs?: number
  log: Pick<ConnectorLogger, 'info' | 'warn' | 'error'>
  metrics?: Pick<ServerMetrics, 'leasesHeld'>
  /** The lock session's application_name, as pg_stat_activity shows it. */
  applicationName?: string
}

export const DEFAULT_LEASE_RETRY_MS = 2_000

export function createLeases(options: LeaseOptions): Leases {
  return options.databaseUrl ? new PostgresLeases({ ...options, databaseUrl: options.databaseUrl }) : new LocalLeases(options)
}

/** What the lock key is hashed from: prefixed, so it cannot meet another advisory lock of the database. */
const lockName = (name: string): string => `threadline-lease:${name}`

interface Entry {
  name: string
  work: LeasedWork
  /** The lease is held and the work started (or starting). */
  owned: boolean
  released: boolean
  /** The last start or stop: each waits for the one before, so a stop never overtakes a start. */
  busy: Promise<void>
}

abstract class LeaseBase implements Leases {
  protected readonly entries = new Map<string, Entry>()
  protected closed = false
  /** Whether other nodes compete for the leases (worth a log line when one is won). */
  protected abstract readonly shared: boolean

  constructor(protected readonly options: Pick<LeaseOptions, 'log' | 'metrics'>) {}

  hold(name: string, work: LeasedWork): () => Promise<void> {
    if (this.closed) throw new Error('the lease service is closed')
    if (this.entries.has(name)) throw new Error(`lease "${name}" is already held by this server`)
    const entry: Entry = { name, work, owned: false, released: false, busy: Promise.resolve() }
    this.entries.set(name, entry)
    this.held(entry)
    let releasing: Promise<void> | null = null
    return () => (releasing ??= this.release(entry))
  }

  owned(name: string): boolean {
    return this.entries.get(name)?.owned ?? false
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all([...this.entries.values()].map((e) => this.release(e)))
    await this.shutdown()
  }

  /** A new entry to compete for. */
  protected abstract held(entry: Entry): void
  protected abstract release(entry: Entry): Promise<void>
  protected abstract shutdown(): Promise<void>

  protected begin(entry: Entry, onFailure: () => Promise<void>): void {
    entry.owned = true
    this.options.metrics?.leasesHeld.set({ work: entry.name }, 1)
    if (this.shared) this.options.log.info({ lease: entry.name }, 'lease won: starting its work on this node')
    entry.busy = entry.busy
      .then(() => entry.work.start())
      .catch(async (err: unknown) => {
        this.options.log.error({ err, lease: entry.name }, 'starting leased work failed; giving the lease up')
        // Within this chain: end() would wait for the very promise running this.
        entry.owned = false
        this.options.metrics?.leasesHeld.set({ work: entry.name }, 0)
        await entry.work.stop().catch((e: unknown) => this.options.log.error({ err: e, lease: entry.name }, 'stopping leased work failed'))
        await onFailure()
      })
  }

  protected end(entry: Entry): Promise<void> {
    if (!entry.owned) return entry.busy
    entry.owned = false
    this.options.metrics?.leasesHeld.set({ work: entry.name }, 0)
    entry.busy = entry.busy
      .then(() => entry.work.stop())
      .catch((err: unknown) => this.options.log.error({ err, lease: entry.name }, 'stopping leased work failed'))
    return entry.busy
  }
}

/** SQLite: the database file has one node, so every lease is its own from the start. */
class LocalLeases extends LeaseBase {
  protected readonly shared = false

  protected held(entry: Entry): void {
    this.begin(entry, async () => undefined)
  }

  protected async release(entry: Entry): Promise<void> {
    entry.released = true
    this.entries.delete(entry.name)
    await this.end(entry)
    await entry.busy
  }

  protected async shutdown(): Promise<void> {}
}

/**
 * PostgreSQL: a lease is a session-level advisory lock on a 64-bit key derived from the work's
 * name, taken on ONE dedicated connection per server. It is a plain pg.Client, not a pool
 * client: a pool may close an idle connection, or hand the session to other queries, and a
 * session lock lives exactly as long as its session. So the lock is held while this connection
 * lives, and a node that dies (process killed, network gone) gives its leases up with it, which
 * the server notices by itself: no expiry to tune, no other node to trust.
 *
 * A lease not held is asked for again every retryMs. When the lock connection errors or ends, the
 * locks are gone with it and another node may be taking the work over: every held work is
 * stopped at once, then the node reconnects and competes again. The same round checks a
 * connection holding every lease with a trivial query (under a query timeout), so a connection
 * that died silently is noticed too.
 *
 * A lock is no fencing token: a node cut off from PostgreSQL runs its work until it notices (at
 * most the query timeout), while the server may already have ended its session and let another
 * node start. The work itself stays safe against that short overlap where it matters: a send
 * re-reads the message and skips one no longer queued, ingest drops a mail it already stored.
 */
class PostgresLeases extends LeaseBase {
  protected readonly shared = true
  private client: PgClient | null = null
  private readonly timer: NodeJS.Timeout
  private ticking: Promise<void> | null = null
  private tickAgain = false
  /** After losing its session a node does not compete again before this time (see lost()). */
  private reconnectAt = 0
  private readonly retryMs: number
  private readonly applicationName: string

  constructor(private readonly pgOptions: LeaseOptions & { databaseUrl: string }) {
    super(pgOptions)
    this.retryMs = pgOptions.retryMs ?? DEFAULT_LEASE_RETRY_MS
    this.applicationName = pgOptions.applicationName ?? `threadline-leases-${randomUUID().slice(0, 8)}`
    this.timer = setInterval(() => this.kick(), this.retryMs)
    this.timer.unref()
  }

  protected held(_entry: Entry): void {
    this.kick()
  }

  /** One round at a time; a round asked for during one runs right after it. */
  private kick(): void {
    if (this.closed) return
    if (this.ticking) {
      this.tickAgain = true
      return
    }
    this.ticking = (async () => {
      try {
        do {
          this.tickAgain = false
          await this.tick()
        } while (this.tickAgain && !this.closed)
      } finally {
        this.ticking = null
      }
    })()
  }

  private async tick(): Promise<void> {
    const client = this.client ?? (await this.connect())
    if (!client) return
    try {
      const waiting = [...this.entries.values()].filter((e) => !e.owned && !e.released)
      if (waiting.length === 0) {
        await client.query('SELECT 1')
        return
      }
      for (const entry of waiting) {
        const { rows } = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS got', [lockName(entry.name)])
        if (!rows[0]?.got) continue
        if (this.client !== client) return // lost while asking: the lock went with the session
        if (entry.released || this.closed) {
          await this.unlock(client, entry.name)
          continue
        }
        this.begin(entry, () => this.unlock(client, entry.name))
      }
    } catch (err) {
      this.lost(client, err)
    }
  }

  private async connect(): Promise<PgClient | null> {
    if (this.closed || Date.now() < this.reconnectAt) return null
    // Loaded here, not at start: a server on SQLite never needs the PostgreSQL driver.
    const { default: pg } = await import('pg')
    const client = new pg.Client({
      connectionString: this.pgOptions.databaseUrl,
      application_name: this.applicationName,
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
      // A round that hangs this long means the connection is dead to us: give the work up.
      query_timeout: Math.max(10_000, this.retryMs * 5),
    })
    client.on('error', (err: Error) => this.lost(client, err))
    client.on('end', () => this.lost(client, new Error('the lock connection ended')))
    try {
      await client.connect()
    } catch (err) {
      this.pgOptions.log.warn({ err }, 'cannot reach PostgreSQL for leases; trying again')
      await client.end().catch(() => undefined)
      return null
    }
    if (this.closed) {
      await client.end().catch(() => undefined)
      return null
    }
    this.client = client
    return client
  }

  /** The lock session is gone (or unusable): so are its locks, and every work they covered stops now. */
  private lost(client: PgClient, err: unknown): void {
    if (this.client !== client) return
    this.client = null
    // The others ask every retryMs: sitting out two rounds lets a healthy node take the work over
    // rather than this one, whose connection just failed, winning it straight back.
    this.reconnectAt = Date.now() + 2 * this.retryMs
    const held = [...this.entries.values()].filter((e) => e.owned)
    if (!this.closed) {
      this.pgOptions.log.warn(
        { err, leases: held.map((e) => e.name) },
        'lease connection lost: stopping the leased work, then competing for it again',
      )
    }
    client.end().catch(() => undefined)
    for (const entry of held) void this.end(entry)
  }

  private async unlock(client: PgClient, name: string): Promise<void> {
    if (this.client !== client) return
    try {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lockName(name)])
    } catch (err) {
      // Cannot tell whether the lock is still held: end the session, which surely ends it.
      this.lost(client, err)
    }
  }

  protected async release(entry: Entry): Promise<void> {
    if (entry.released) return
    entry.released = true
    this.entries.delete(entry.name)
    const wasOwned = entry.owned
    const client = this.client
    await this.end(entry)
    await entry.busy
    // Only after the work stopped: another node may start it the moment the lock is free.
    if (wasOwned && client) await this.unlock(client, entry.name)
  }

  protected async shutdown(): Promise<void> {
    clearInterval(this.timer)
    await this.ticking
    const client = this.client
    this.client = null
    if (client) await client.end().catch(() => undefined)
  }
}
