import type { IngestResult } from '../../shared/ingest'
import { NotFoundError } from '../connectors/delivery'
import { BadRequestError } from '../errors'
import type { Store } from '../store/store'
import type { Commit } from '../sync/commit'
import { ingestInbound } from './ingest'

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

const RETRY_BASE_MS = 5_000
const RETRY_MAX_MS = 60 * 60_000

/**
 * Ingest with a safety net: bad input is refused (BadRequestError), an update of a call not
 * stored yet is answered NotFoundError (the provider retries it later), anything else that fails
 * after the input was accepted is written to `dead_letters` and retried with backoff, so
 * nothing accepted is dropped.
 */
export class InboundService {
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly store: Store,
    private readonly commit: Commit,
    private readonly defaultCountry: string,
    private readonly log: InboundLogger,
  ) {}

  ingest(raw: unknown): IngestResult {
    try {
      return ingestInbound(raw, { commit: this.commit, defaultCountry: this.defaultCountry })
    } catch (err) {
      // Refused input, or an update of something not stored yet: the sender is told and retries.
      if (err instanceof BadRequestError || err instanceof NotFoundError) throw err
      const message = err instanceof Error ? err.message : String(err)
      const id = this.store.write((w) => w.addDeadLetter('inbound', raw, message, Date.now() + RETRY_BASE_MS)).result
      this.log.error({ err, deadLetterId: id }, 'ingest failed after acceptance; dead-lettered')
      throw new DeferredIngestError(id, err)
    }
  }

  startRetrying(intervalMs = RETRY_BASE_MS): void {
    this.timer = setInterval(() => this.retryDue(), intervalMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** Retries the dead letters whose time has come; returns how many now succeeded. */
  retryDue(now = Date.now()): number {
    let done = 0
    for (const letter of this.store.dueDeadLetters(now, 100)) {
      try {
        ingestInbound(letter.payload, { commit: this.commit, defaultCountry: this.defaultCountry })
        this.store.write((w) => w.deleteDeadLetter(letter.id))
        done++
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err)
        const delay = Math.min(RETRY_BASE_MS * 2 ** letter.attempts, RETRY_MAX_MS)
        this.store.write((w) => w.retryDeadLetterLater(letter.id, message, now + delay))
        this.log.warn({ deadLetterId: letter.id, attempts: letter.attempts + 1, error: message }, 'dead letter retry failed')
      }
    }
    return done
  }
}
