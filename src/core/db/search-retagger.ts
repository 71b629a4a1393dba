import type { Database } from 'better-sqlite3'
import { retagQueued } from './search-index'

/** Conversations re-tagged per transaction: short enough that an agent's next action never waits long behind one. */
const CHUNK = 25

/**
 * Works through the conversations queued for re-tagging in the search index (search-index.ts)
 * while the app is idle: a chunk at a time, each its own transaction, yielding to the event
 * loop between chunks. `poke()` after anything that may have queued some; a search empties the
 * queue itself, so this only keeps that first search fast.
 */
export class SearchRetagger {
  private timer: NodeJS.Timeout | null = null
  private stopped = false

  constructor(
    private readonly db: Database,
    private readonly delayMs = 200,
  ) {}

  poke(): void {
    if (this.stopped || this.timer) return
    this.timer = setTimeout(() => this.run(), this.delayMs)
    this.timer.unref()
  }

  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private run(): void {
    this.timer = null
    if (this.stopped) return
    let left: number
    try {
      left = retagQueued(this.db, CHUNK)
    } catch {
      // A cache being closed or rebuilt: the next poke, or the next search, picks the queue up.
      return
    }
    if (left > 0) {
      this.timer = setTimeout(() => this.run(), 0)
      this.timer.unref()
    }
  }
}
