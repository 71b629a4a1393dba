import { slaNextDueAt } from '../../shared/reporting/sla-due'
import type { ConnectorLogger } from '../connectors/connector'
import { PeriodicWork } from '../ops/periodic'
import type { Store } from '../store/store'
import type { Commit } from '../sync/commit'

/** Conversations written per transaction: a burst of breaches never holds the writer for long. */
const BATCH = 50
/** Batches per check: past it the next check carries on, so a backlog cannot starve the other work. */
const BATCHES_PER_CHECK = 20

export interface SlaBreachDeps {
  store: Store
  /** Writes as the SLA service, so clients hear of a breach at once. */
  commit: Commit
  log: Pick<ConnectorLogger, 'error'>
  now?: () => number
}

/**
 * Breaches nobody's write would notice: a target passing while the conversation sits untouched.
 * The recorder moves the clocks and records `sla_breached` on every write of a conversation, so
 * this only writes each due conversation again as of now, and the breach is marked and recorded
 * there, the one place that does it. Returns how many conversations it wrote.
 */
export async function markSlaBreaches(deps: SlaBreachDeps): Promise<number> {
  const now = (deps.now ?? Date.now)()
  let written = 0
  for (let batch = 0; batch < BATCHES_PER_CHECK; batch++) {
    const due = await deps.store.slaDueConversations(now, BATCH)
    if (due.length === 0) break
    written += await deps.commit(async (w) => {
      let n = 0
      for (const { id } of due) {
        // Read again inside the write: a reply since the scan may have met the target.
        const current = await w.getConversation(id)
        const dueAt = slaNextDueAt(current?.sla)
        if (!current || dueAt === null || dueAt > now) continue
        await w.put('conversation', { ...current, updatedAt: Math.max(current.updatedAt, now) })
        n++
      }
      return n
    })
    if (due.length < BATCH) break
  }
  return written
}

/** Checks for passed SLA targets every `checkEveryMs` on the node holding the `sla-breaches` lease. */
export function slaBreachService(deps: SlaBreachDeps, options: { checkEveryMs: number }): PeriodicWork {
  return new PeriodicWork(
    options.checkEveryMs,
    () => markSlaBreaches(deps),
    (err) => deps.log.error({ err }, 'the SLA breach check failed; the next check tries again'),
  )
}
