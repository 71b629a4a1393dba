import { join } from 'node:path'
import { newCacheKey } from '../../../src/core/db/key-file'
import { latencyRow, valueRow } from '../report'
import { summarize, type Summary } from '../stats'
import { child, type BenchContext } from './context'

/** What encrypting the cache may cost: the initial sync at most 15 % slower. */
const SYNC_SLOWDOWN_MAX = 1.15
const MB = 1024 * 1024

interface ReadFigures {
  heavyTimeline: Summary
  inbox: Summary
}

/**
 * What encrypting the cache costs: initial syncs of the whole dataset into empty plain and
 * encrypted caches, in turns (plain first in even rounds, encrypted first in odd ones, so that
 * drift in the machine's load falls on both alike), each in a fresh core process; then the
 * cache reads that carry targets, once on the last cache of each kind.
 */
export async function runCipherScenarios(ctx: BenchContext, sampleCustomerIds: string[]): Promise<void> {
  const { server, dataset, options } = ctx
  const target = (await server.counts()).lastSeq
  const times = { plain: [] as number[], encrypted: [] as number[] }
  const cpu = { plain: [] as number[], encrypted: [] as number[] }
  const peakRss = { plain: 0, encrypted: 0 }
  const reads: Partial<Record<keyof typeof times, ReadFigures>> = {}
  const rounds = options.size.cipherRounds
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['plain', 'encrypted'] as const) : (['encrypted', 'plain'] as const)
    for (const kind of order) {
      const core = child(ctx, 'core-client')
      try {
        const cacheKey = kind === 'encrypted' ? newCacheKey().toString('hex') : undefined
        const dataDir = join(ctx.runDir, `cipher-${kind}-${round}`)
        const sync = await core.call<{ ms: number; cpuMs: number; peakRss: number }>(
          'sync',
          { dataDir, serverUrl: server.url, token: ctx.token, targetCursor: target, timeoutMs: 3_600_000, ...(cacheKey ? { cacheKey } : {}) },
          3_700_000,
        )
        times[kind].push(sync.ms)
        cpu[kind].push(sync.cpuMs)
        peakRss[kind] = Math.max(peakRss[kind], sync.peakRss)
        ctx.log(`  round ${round + 1}/${rounds}, ${kind}: ${(sync.ms / 1000).toFixed(2)} s (core CPU ${(sync.cpuMs / 1000).toFixed(2)} s)`)
        if (round === rounds - 1) {
          reads[kind] = await core.call<ReadFigures>('reads', { heavyCustomerId: dataset.heavy.customerId, customerIds: sampleCustomerIds, samples: options.size.samples })
        }
      } finally {
        await core.stop()
      }
    }
  }
  const plain = summarize(times.plain)
  const encrypted = summarize(times.encrypted)
  const note = `${rounds} syncs of each, ${dataset.counts.messages.toLocaleString('en')} messages (${target.toLocaleString('en')} changes)`
  ctx.rows.push(
    latencyRow('cipher.sync.plain', 'initial sync into an empty plain cache', plain, null, note),
    latencyRow('cipher.sync.encrypted', '  the same into an encrypted cache (SQLCipher 4 format, as the app ships)', encrypted, null),
    valueRow('cipher.sync.ratio', '  encrypted ÷ plain (median sync time)', '×', encrypted.median / plain.median, { atMost: SYNC_SLOWDOWN_MAX }),
    valueRow('cipher.sync.cpu', '  encrypted ÷ plain (median CPU time of the core process)', '×', summarize(cpu.encrypted).median / summarize(cpu.plain).median, null),
    // A peak while the indexes are built, beside the budget the core's settled RSS keeps (memory.core).
    valueRow('cipher.sync.peakRss.plain', '  peak RSS of the core process over a sync, plain cache (sorts on disk)', 'MB', peakRss.plain / MB, null),
    valueRow('cipher.sync.peakRss.encrypted', '  the same, encrypted cache (sorts in memory: no plaintext temporary files)', 'MB', peakRss.encrypted / MB, null),
  )
  for (const kind of ['plain', 'encrypted'] as const) {
    const figures = reads[kind]
    if (!figures) continue
    ctx.rows.push(
      latencyRow(`cipher.timeline.${kind}`, `  customer timeline first page, ${dataset.heavy.messages.toLocaleString('en')}-message customer, ${kind} cache`, figures.heavyTimeline, { p95: 5 }),
      latencyRow(`cipher.inbox.${kind}`, `  inbox views, ${kind} cache`, figures.inbox, { p95: 10 }),
    )
  }
}
