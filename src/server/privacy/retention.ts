import { systemActor } from '../../shared/actors'
import { newId } from '../../shared/ids'
import { SERVER_ORIGIN } from '../audit/origin'
import type { Conversation } from '../../shared/domain'
import { summaryId } from '../../shared/summaries'
import { NO_RETENTION, RetentionRun, RetentionSettings, ruleFor, type RetentionRule } from '../../shared/retention'
import type { ConnectorLogger } from '../connectors/connector'
import { PeriodicWork } from '../ops/periodic'
import type { Store, StoreWriter } from '../store/store'
import type { Commit } from '../sync/commit'
import { eraseCustomer } from './erasure'
import { removeUnusedAttachments } from './purge'

/**
 * Retention: the daily run that deletes what the team's rules say it no longer keeps. A resolved
 * conversation goes once its last activity is older than the rule covering it (open, pending and
 * snoozed ones stay: someone still owes an answer); its rows leave the store and their changes
 * become tombstones, so every cache drops them. A customer left with no conversation is erased
 * once their own last activity is older than `customersWithoutConversationsDays`.
 *
 * The settings and the log of runs live in the server's own state, never synced.
 */

const DAY_MS = 86_400_000
const STATE = 'retention'
/** Who the audit log and the erasures list name for a customer a rule erased. */
const BY_RETENTION = { actor: systemActor('retention'), origin: SERVER_ORIGIN }
/** Runs kept in the log, dry runs included. */
const RUNS_KEPT = 400
/** Conversations deleted per transaction: a long run never holds the writer for long. */
const BATCH = 50

export async function retentionSettings(store: Store): Promise<RetentionSettings> {
  const saved = RetentionSettings.safeParse(await store.getConnectorState(STATE, 'settings'))
  return saved.success ? saved.data : NO_RETENTION
}

/** Inside the caller's write, so the audit entry saying who changed them commits with them. */
export async function saveRetentionSettings(w: StoreWriter, settings: RetentionSettings): Promise<void> {
  await w.setConnectorState(STATE, 'settings', settings)
}

/** The log, newest first. */
export async function retentionRuns(store: Store): Promise<RetentionRun[]> {
  const saved = RetentionRun.array().safeParse(await store.getConnectorState(STATE, 'runs'))
  return saved.success ? saved.data : []
}

async function logRun(store: Store, run: RetentionRun): Promise<void> {
  const runs = [run, ...(await retentionRuns(store))].slice(0, RUNS_KEPT)
  await store.write((w) => w.setConnectorState(STATE, 'runs', runs))
}

export interface RetentionDeps {
  store: Store
  /** Writes as the retention run, so clients hear of the deletes at once. */
  commit: Commit
  attachmentsDir: string
  log: Pick<ConnectorLogger, 'info' | 'error'>
  /** Told when customers were erased, so their purge runs now. */
  purgeSoon: () => void
  now?: () => number
}

/**
 * One run over the whole store. A dry run reads only and says what a real one would delete.
 * A real run stopped by an error has deleted what it reports; the next run continues.
 */
export async function runRetention(
  deps: RetentionDeps,
  options: { dryRun: boolean; requestedBy: string | null },
): Promise<RetentionRun> {
  const now = (deps.now ?? Date.now)()
  const settings = await retentionSettings(deps.store)
  const run: RetentionRun = {
    id: newId(),
    startedAt: now,
    finishedAt: now,
    dryRun: options.dryRun,
    requestedBy: options.requestedBy,
    conversations: 0,
    customers: 0,
    byRule: settings.rules.map((rule) => ({ rule, conversations: 0 })),
    error: null,
  }
  /** Per customer touched, how many of their conversations go: a dry run tells who would be left with none. */
  const goneOf = new Map<string, number>()
  try {
    for await (const due of dueConversations(deps.store, settings.rules, now)) {
      let batch = due
      if (!options.dryRun) {
        const { deleted, urls } = await deps.commit(async (w) => {
          const urls: string[] = []
          // Read again inside the write: one that a new message reopened since the scan stays.
          const unchanged = []
          for (const entry of due) {
            const current = await w.getConversation(entry.conversation.id)
            if (current?.status === 'resolved' && current.updatedAt === entry.conversation.updatedAt) unchanged.push(entry)
          }
          for (const { conversation } of unchanged) urls.push(...(await w.deleteConversation(conversation.id)))
          // A story may tell of what was deleted: it is written again from what is left.
          for (const customerId of new Set(unchanged.map((b) => b.conversation.customerId))) {
            if (await w.getSummary(summaryId('customer_story', customerId))) await w.requestSummary(customerId, 'retention', now)
          }
          return { deleted: unchanged, urls }
        })
        await removeUnusedAttachments(deps.store, urls, deps.attachmentsDir)
        batch = deleted
      }
      for (const { conversation, rule } of batch) {
        run.conversations++
        const entry = run.byRule.find((r) => r.rule === rule)
        if (entry) entry.conversations++
        goneOf.set(conversation.customerId, (goneOf.get(conversation.customerId) ?? 0) + 1)
      }
    }
    const days = settings.customersWithoutConversationsDays
    if (days !== null) run.customers = await customersWithoutConversations(deps, days * DAY_MS, now, goneOf, options.dryRun)
  } catch (err) {
    run.error = err instanceof Error ? err.message : String(err)
    deps.log.error({ err }, 'the retention run stopped; the next run continues where it stopped')
  }
  // The deleted rows were overwritten in place; the database gives the space and the WAL's old pages back.
  if (!options.dryRun && run.conversations > 0) await deps.store.compact()
  run.finishedAt = (deps.now ?? Date.now)()
  await logRun(deps.store, run)
  if (!options.dryRun && (run.conversations > 0 || run.customers > 0)) {
    deps.log.info({ conversations: run.conversations, customers: run.customers }, 'retention run deleted what the rules no longer keep')
  }
  return run
}

/** Resolved conversations past their rule's age, in batches, oldest activity first. */
async function* dueConversations(
  store: Store,
  rules: readonly RetentionRule[],
  now: number,
): AsyncGenerator<{ conversation: Conversation; rule: RetentionRule }[]> {
  if (rules.length === 0) return
  // Nothing younger than the shortest rule can be due: the scan stops there.
  const before = now - Math.min(...rules.map((r) => r.deleteAfterDays)) * DAY_MS
  let after: { at: number; id: string } | null = null
  for (;;) {
    const page = await store.resolvedConversationsBefore(before, after, BATCH * 4)
    if (page.length === 0) return
    const due = page.flatMap((conversation) => {
      const rule = ruleFor(rules, conversation.inbox, conversation.channel)
      return rule && conversation.updatedAt < now - rule.deleteAfterDays * DAY_MS ? [{ conversation, rule }] : []
    })
    for (let i = 0; i < due.length; i += BATCH) yield due.slice(i, i + BATCH)
    const last = page.at(-1)!
    after = { at: last.updatedAt, id: last.id }
  }
}

/** Erases (or, in a dry run, counts) the customers left with no conversation for longer than `keepMs`. */
async function customersWithoutConversations(
  deps: RetentionDeps,
  keepMs: number,
  now: number,
  goneOf: ReadonlyMap<string, number>,
  dryRun: boolean,
): Promise<number> {
  const before = now - keepMs
  const due = new Set<string>()
  let after: string | null = null
  for (;;) {
    const page = await deps.store.customersWithoutConversations(before, after, BATCH * 4)
    if (page.length === 0) break
    for (const c of page) due.add(c.id)
    after = page.at(-1)!.id
  }
  // A dry run deleted nothing: who would be left with none once the due conversations go.
  if (dryRun) {
    for (const [customerId, gone] of goneOf) {
      const customer = await deps.store.getCustomer(customerId)
      if (customer && !customer.mergedInto && customer.lastActivityAt < before && (await deps.store.conversationsOf(customerId)).length === gone) {
        due.add(customerId)
      }
    }
    return due.size
  }
  for (const customerId of due) {
    await deps.commit((w) => eraseCustomer(w, { customerId, user: null, by: BY_RETENTION, immediate: true, graceDays: 0, now }))
  }
  if (due.size > 0) deps.purgeSoon()
  return due.size
}

/** Runs retention once a day on the node holding the `retention` lease. */
export class RetentionService extends PeriodicWork {
  constructor(deps: RetentionDeps, options: { checkEveryMs: number }) {
    super(options.checkEveryMs, () => runIfDue(deps), (err) => deps.log.error({ err }, 'the daily retention run failed'))
  }
}

/** Runs when the last real run is a day old (a restart does not run it twice a day) and there are rules to apply. */
async function runIfDue(deps: RetentionDeps): Promise<void> {
  const settings = await retentionSettings(deps.store)
  if (settings.rules.length === 0 && settings.customersWithoutConversationsDays === null) return
  const now = (deps.now ?? Date.now)()
  const last = (await retentionRuns(deps.store)).find((r) => !r.dryRun && r.requestedBy === null)
  if (last && now - last.startedAt < DAY_MS) return
  await runRetention(deps, { dryRun: false, requestedBy: null })
}
