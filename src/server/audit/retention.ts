import type { ConnectorLogger } from '../connectors/connector'
import { PeriodicWork } from '../ops/periodic'
import type { Store } from '../store/store'

const DAY_MS = 86_400_000

/**
 * The audit log's own retention, apart from customers' data: entries older than `retentionDays`
 * are deleted once a day (and when the lease is won), by the node holding the `audit-prune` lease.
 * A customer's erasure never shortens it: entries hold ids, not the customer's data.
 */
export class AuditPruneService {
  private readonly work: PeriodicWork

  constructor(
    private readonly store: Store,
    private readonly options: {
      retentionDays: number
      log: Pick<ConnectorLogger, 'info' | 'error'>
      intervalMs?: number
      now?: () => number
    },
  ) {
    this.work = new PeriodicWork(options.intervalMs ?? DAY_MS, () => this.prune(), (err) =>
      options.log.error({ err }, 'pruning the audit log failed; retrying at the next pass'),
    )
  }

  start(): Promise<void> {
    return this.work.start()
  }

  stop(): Promise<void> {
    return this.work.stop()
  }

  /** Deletes the entries older than the retention period; returns how many. */
  async prune(): Promise<number> {
    const before = (this.options.now ?? Date.now)() - this.options.retentionDays * DAY_MS
    const { result: pruned } = await this.store.write((w) => w.pruneAudit(before))
    if (pruned > 0) this.options.log.info({ pruned, before: new Date(before).toISOString() }, 'audit log entries past their retention deleted')
    return pruned
  }
}
