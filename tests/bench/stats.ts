/** Latency samples in ms, summarized the way the targets are written. */
export interface Summary {
  n: number
  median: number
  p95: number
  p99: number
  max: number
}

/** Nearest-rank percentile of sorted values. */
function rank(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]!
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b)
  return { n: sorted.length, median: rank(sorted, 50), p95: rank(sorted, 95), p99: rank(sorted, 99), max: sorted.at(-1) ?? Number.NaN }
}

/** Milliseconds since the epoch with sub-millisecond precision, comparable across processes on one machine. */
export const epochNow = (): number => performance.timeOrigin + performance.now()

/** Runs `fn` `n` times after `warmup` unmeasured runs; returns the durations in ms. */
export async function timeEach(n: number, fn: (i: number) => unknown, warmup = Math.min(20, Math.ceil(n / 10))): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn(i)
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await fn(i)
    out.push(performance.now() - t)
  }
  return out
}
