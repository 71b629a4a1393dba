import type { ConnectorLogger } from '../connectors/connector'
import type { LeasedWork } from '../ops/leases'
import type { Store } from '../store/store'

const DAY_MS = 86_400_000

/**
 * The audit log's own retention, apart from customers' data: entries older than `retentionDays`
 * are deleted once a day (and when the lease is won), by the node holding the `audit-prune` lease.
 * A customer's erasure never shortens it: entries hold ids, not the customer's data.
 */
export class AuditPruneService implements LeasedWork {
  private timer: NodeJS.Timeout | null = null
  private running: Promise<number> | null = null

  constructor(
    private readonly store: Store,
    private readonly options: {
      retentionDays: number
      log: Pick<ConnectorLogger, 'info' | 'error'>
      intervalMs?: number
      now?: () => number
    },
  ) {}

  async start(): Promise<void> {
    this.timer = setInterval(() => this.soon(), this.options.intervalMs ?? DAY_MS)
    this.timer.unref()
    this.soon()
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.running
  }

  private soon(): void {
    this.running ??= this.prune()
      .catch((err: unknown) => {
        this.options.log.error({ err }, 'pruning the audit log failed; retrying at the next pass')
        return 0
      })
      .finally(() => {
        this.running = null
      })
  }

  /** Deletes the entries older than the retention period; returns how many. */
  async prune(): Promise<number> {
    const before = (this.options.now ?? Date.now)() - this.options.retentionDays * DAY_MS
    const { result: pruned } = await this.store.write((w) => w.pruneAudit(before))
    if (pruned > 0) this.options.log.info({ pruned, before: new Date(before).toISOString() }, 'audit log entries past their retention deleted')
    return pruned
  }
}
