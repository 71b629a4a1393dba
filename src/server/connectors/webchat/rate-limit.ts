/** Most keys a bounded map keeps: past it the least recently written go first, so a flood of new keys cannot exhaust memory. */
export const MAX_KEYS = 50_000

/** Sets `key`, making it the most recent, and forgets the oldest key beyond `maxKeys`. */
export function rememberBounded<K, V>(map: Map<K, V>, key: K, value: V, maxKeys = MAX_KEYS): void {
  map.delete(key)
  map.set(key, value)
  if (map.size > maxKeys) map.delete(map.keys().next().value as K)
}

/** A refusal because something happened too often; `retryAfterMs` says when it may happen again. */
export class RateLimitedError extends Error {
  readonly code = 'rate_limited'

  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message)
    this.name = 'RateLimitedError'
  }

  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.retryAfterMs / 1000))
  }
}

/** "5 seconds", "2 minutes": how long a person is asked to wait, rounded up. */
export function waitInWords(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000))
  if (seconds < 90) return `${seconds} ${seconds === 1 ? 'second' : 'seconds'}`
  const minutes = Math.ceil(seconds / 60)
  return `${minutes} minutes`
}

/**
 * At most `max` events per key in any `windowMs` (a sliding window, so no burst fits across a
 * window's edge). Each key keeps only the times still inside its window, never more than `max`
 * of them, and at most `maxKeys` keys are kept.
 */
export class RateWindow {
  private readonly events = new Map<string, number[]>()

  constructor(
    readonly max: number,
    readonly windowMs: number,
    private readonly maxKeys = MAX_KEYS,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`a rate window allows at least 1 event, not ${max}`)
    if (!(windowMs > 0)) throw new RangeError(`a rate window lasts longer than 0 ms, not ${windowMs}`)
  }

  /** Milliseconds until `key` may have another event; 0 when it may now. */
  waitMs(key: string, now: number): number {
    const times = this.recent(key, now)
    if (times.length < this.max) return 0
    // The oldest event that must leave the window for one more to fit.
    return (times[times.length - this.max] as number) + this.windowMs - now
  }

  record(key: string, now: number): void {
    rememberBounded(this.events, key, [...this.recent(key, now), now].slice(-this.max), this.maxKeys)
  }

  private recent(key: string, now: number): number[] {
    const times = this.events.get(key)
    if (!times) return []
    const recent = times.filter((at) => at > now - this.windowMs)
    if (recent.length === 0) this.events.delete(key)
    return recent
  }
}

export interface RateCheck {
  window: RateWindow
  key: string
  /** What the refused party is told, followed by "; try again in …". */
  refusal: string
}

/**
 * Counts one event against every check, or against none: throws RateLimitedError for the first
 * check that is full, so a refusal by one limit uses up nothing of the others.
 */
export function admit(checks: readonly RateCheck[], now: number): void {
  for (const check of checks) {
    const wait = check.window.waitMs(check.key, now)
    if (wait > 0) throw new RateLimitedError(`${check.refusal}; try again in ${waitInWords(wait)}.`, wait)
  }
  for (const check of checks) check.window.record(check.key, now)
}
