import { systemActor, type Actor } from '../../shared/actors'
import { InboundMessage, type IngestResult } from '../../shared/ingest'
import { NotFoundError } from '../connectors/delivery'
import { BadRequestError } from '../errors'
import type { Store, StoreWriter, WriteOutcome } from '../store/store'
import type { ChangeFeed } from '../sync/commit'
import { secondsSince, type ServerMetrics } from '../ops/metrics'
import type { HtmlSanitizer } from './html-sanitizer'
import { ingestInbound, prepareInbound, type PreparedInbound } from './ingest'
import type { MatterWindows } from './threading'

/** Accepted, but processing failed: the item is kept in the dead-letter table and retried. */
export class DeferredIngestError extends Error {
  constructor(
    readonly deadLetterId: number,
    cause: unknown,
  ) {
    super(`the item was accepted but could not be processed yet (dead letter ${deadLetterId}); it will be retried`, { cause })
    this.name = 'DeferredIngestError'
  }
}

export interface InboundLogger {
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

/**
 * The inbox an item names, read as the ingest reads it (absent: the default inbox), so that its
 * dead letter is shown to those who may see that inbox; null when it names none that could be.
 */
function inboxOf(raw: unknown): string | null {
  const named = typeof raw === 'object' && raw !== null ? (raw as { inbox?: unknown }).inbox : undefined
  const parsed = InboundMessage.shape.inbox.safeParse(named)
  return parsed.success ? parsed.data : null
}

const RETRY_BASE_MS = 5_000
const RETRY_MAX_MS = 60 * 60_000
/**
 * At most this many items share one transaction, so that one group never holds the event loop
 * for long. On PostgreSQL each item is a subtransaction (a savepoint), and a session caches 64 of
 * them: a transaction with more makes every other session's snapshots look them up on disk.
 */
const MAX_GROUP = 64

interface Waiting {
  raw: unknown
  item: PreparedInbound
  actor: Actor
  at: number | undefined
  resolve(result: IngestResult): void
  reject(error: unknown): void
}

/**
 * Ingest with a safety net: bad input is refused (BadRequestError), an update of a call not
 * stored yet is answered NotFoundError (the provider retries it later), anything else that fails
 * after the input was accepted is written to `dead_letters` and retried with backoff, so
 * nothing accepted is dropped.
 */
export class InboundService {
  private timer: NodeJS.Timeout | null = null
  private round: Promise<unknown> | null = null
  private waiting: Waiting[] = []
  private draining: Promise<void> | null = null

  constructor(
    private readonly store: Store,
    private readonly feed: ChangeFeed,
    private readonly defaultCountry: string,
    private readonly windows: MatterWindows,
    private readonly sanitizer: HtmlSanitizer,
    private readonly log: InboundLogger,
    private readonly metrics: ServerMetrics,
  ) {}

  /**
   * Ingests one item together with the others waiting when its group begins (see drain): one
   * transaction (each item in its own savepoint) and one fan-out for the group. Webhooks arrive
   * concurrently, and a commit costs far more than an item, so under load this is what keeps up.
   * The item is parsed and its HTML sanitized first, outside the transaction. Resolves once the
   * item is durable; refused input rejects with BadRequestError, a failure after acceptance with
   * DeferredIngestError (the item is in the dead letters). What the item changes is recorded as
   * made by `actor`, the connector or integration that handed it over. `at` is when it is taken
   * to arrive (a history replayed); the wall clock when absent.
   */
  async accept(raw: unknown, actor: Actor, at?: number): Promise<IngestResult> {
    const started = performance.now()
    try {
      const result = await this.ingest(raw, actor, at)
      this.metrics.ingested.inc({ outcome: result.duplicate ? 'duplicate' : 'stored' })
      if (!result.duplicate) this.metrics.ingestSeconds.observe(secondsSince(started))
      return result
    } catch (err) {
      this.metrics.ingested.inc({ outcome: err instanceof DeferredIngestError ? 'dead_lettered' : 'refused' })
      throw err
    }
  }

  private async ingest(raw: unknown, actor: Actor, at: number | undefined): Promise<IngestResult> {
    let item: PreparedInbound
    try {
      item = await prepareInbound(raw, this.sanitizer)
    } catch (err) {
      throw await this.failure(raw, err, actor)
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ raw, item, actor, at, resolve, reject })
      this.draining ??= this.drain()
    })
  }

  /**
   * Commits the waiting items a group at a time: those that arrive while a group commits wait
   * for it, and form the next group. A group started for each turn of the event loop instead
   * would be one item long wherever a commit waits on the network (PostgreSQL), each item then
   * paying for a transaction of its own.
   */
  private async drain(): Promise<void> {
    try {
      // Items that arrive in the same turn of the event loop share the first group.
      await new Promise((resolve) => setImmediate(resolve))
      while (this.waiting.length > 0) await this.commitGroup(this.waiting.splice(0, MAX_GROUP))
    } finally {
      this.draining = null
    }
  }

  /** Commits one group, then settles each of its items: stored, refused, or dead-lettered. */
  private async commitGroup(group: Waiting[]): Promise<void> {
    const options = { defaultCountry: this.defaultCountry, windows: this.windows }
    let outcomes: WriteOutcome<IngestResult>[]
    try {
      outcomes = await this.feed.commitEach(
        group.map(({ item, actor, at }) => ({
          actor,
          run: (w: StoreWriter) => ingestInbound(item, { ...options, actor, commit: (fn) => fn(w), ...(at === undefined ? {} : { now: () => at }) }),
        })),
      )
    } catch (err) {
      // The group's commit itself failed: none of it is stored, so each item is handled as failed.
      outcomes = group.map(() => ({ ok: false as const, error: err }))
    }
    for (const [i, entry] of group.entries()) {
      const outcome = outcomes[i]
      if (outcome?.ok) {
        entry.resolve(outcome.result)
        continue
      }
      try {
        entry.reject(await this.failure(entry.raw, outcome ? outcome.error : new Error('no outcome'), entry.actor))
      } catch (err) {
        entry.reject(err)
      }
    }
  }

  /**
   * What the sender is told when an item fails: refused input, or an update of something not
   * stored yet, goes back as is (the sender fixes or retries it); anything else was accepted,
   * so it is kept in the dead letters and retried.
   */
  private async failure(raw: unknown, err: unknown, actor: Actor): Promise<unknown> {
    if (err instanceof BadRequestError || err instanceof NotFoundError) return err
    const message = err instanceof Error ? err.message : String(err)
    const { result: id } = await this.store.write((w) =>
      w.addDeadLetter('inbound', inboxOf(raw), raw, message, Date.now() + RETRY_BASE_MS, actor),
    )
    this.metrics.deadLettered.inc({ kind: 'inbound' })
    this.log.error({ err, deadLetterId: id }, 'ingest failed after acceptance; dead-lettered')
    return new DeferredIngestError(id, err)
  }

  /** Retries due dead letters every interval. Run by one node of the cluster at a time (the `dead-letters` lease). */
  startRetrying(intervalMs = RETRY_BASE_MS): void {
    if (this.timer) return
    this.timer = setInterval(() => {
      // A round outlasting the interval is not overlapped by the next: each letter is tried once at a time.
      this.round ??= this.retryDue()
        .catch((err: unknown) => this.log.error({ err }, 'dead letter retry round failed'))
        .finally(() => (this.round = null))
    }, intervalMs)
    this.timer.unref()
  }

  /** Stops retrying; resolves once the round in hand (if any) is over, so no letter is being retried. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.round
  }

  /** Retries the dead letters whose time has come; returns how many now succeeded. */
  async retryDue(now = Date.now()): Promise<number> {
    let done = 0
    for (const letter of await this.store.dueDeadLetters(now, 100)) {
      try {
        const item = await prepareInbound(letter.payload, this.sanitizer)
        // A letter older than actors cannot say who sent it; the retry says at least that it was one.
        const actor = letter.actor ?? systemActor('dead-letter-retry')
        await ingestInbound(item, { commit: this.feed.as(actor), actor, defaultCountry: this.defaultCountry, windows: this.windows })
        await this.store.write((w) => w.deleteDeadLetter(letter.id))
        done++
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err)
        const delay = Math.min(RETRY_BASE_MS * 2 ** letter.attempts, RETRY_MAX_MS)
        await this.store.write((w) => w.retryDeadLetterLater(letter.id, message, now + delay))
        this.log.warn({ deadLetterId: letter.id, attempts: letter.attempts + 1, error: message }, 'dead letter retry failed')
      }
    }
    return done
  }
}
