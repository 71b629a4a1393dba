import { existsSync, mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { CACHE_KEY_FILE, newCacheKey, readOrCreateKeyFile } from '../../../src/core/db/key-file'
import { CACHE_FILE, DEFAULT_BATCH_SIZE } from '../../../src/core/index'
import type { IngestResult } from '../../../src/shared/ingest'
import { requestJson } from '../http'
import { latencyRow, notBuiltRow, valueRow } from '../report'
import { epochNow, summarize, type Summary } from '../stats'
import { child, type BenchContext } from './context'

const MB = 2 ** 20
/** The target: a bulk action on 500 conversations within 200 ms in the core. */
const BULK_SIZE = 500
/** How many saved views the sidebar counts in the benchmark (core-client.ts viewCounts). */
const VIEW_COUNT = 10

interface ReadResults {
  counts: Summary | null
  summaries: { heavyFirst: number; localFirst: Summary; card: Summary } | null
  heavyTimeline: Summary
  heavyTimelineRaw: Summary
  anyTimeline: Summary
  anyTimelineRaw: Summary
  inbox: Summary
  inboxRaw: Summary
  inboxByView: Record<string, Summary>
  rss: number
}

/**
 * The client core in its own process: initial sync of the whole dataset into an empty cache,
 * reads from the cache (with raw better-sqlite3 alongside), then live arrival of inbound
 * messages posted as webhooks. The cache is encrypted, as the app's is, with the key file the
 * browser host finds there later (the browser group opens the same cache).
 */
export async function runCoreScenarios(ctx: BenchContext, sampleCustomerIds: string[]): Promise<{ heavyTimelineMedian: number }> {
  const { server, dataset, options } = ctx
  const core = child(ctx, 'core-client')
  try {
    await core.call('memory')
    const target = (await server.counts()).lastSeq
    ctx.log(`initial sync of ${dataset.counts.messages.toLocaleString('en')} messages (${target.toLocaleString('en')} changes) into an empty cache…`)
    mkdirSync(ctx.cacheDir, { recursive: true, mode: 0o700 })
    const cacheKey = readOrCreateKeyFile(join(ctx.cacheDir, CACHE_KEY_FILE)).toString('hex')
    const sync = await core.call<{ ms: number; batches: number; batchGaps: Summary; rss: number }>(
      'sync',
      { dataDir: ctx.cacheDir, serverUrl: server.url, token: ctx.token, targetCursor: target, timeoutMs: 3_600_000, cacheKey },
      3_700_000,
    )
    const rate = dataset.counts.messages / (sync.ms / 1000)
    ctx.log(`  ${(sync.ms / 1000).toFixed(1)} s, ${Math.round(rate).toLocaleString('en')} messages/s`)

    ctx.log('the physical limit: the same rows bulk-inserted without indexes, then the indexes; and their bytes over loopback…')
    const limit = child(ctx, 'core-client')
    let raw: { ms: number; fillMs: number; indexMs: number; rows: number; messages: number; bytes: number; loopbackMs: number }
    try {
      raw = await limit.call('rawInsert', { dataDir: ctx.cacheDir, cacheKey }, 3_600_000)
    } finally {
      await limit.stop()
    }
    const rawRate = raw.messages / (raw.ms / 1000)
    ctx.rows.push(
      valueRow('sync.rate', 'initial sync into an empty cache (socket.io + createCore)', 'msg/s', rate, { atLeast: 50_000 }, `${sync.batches} batches, ${(sync.ms / 1000).toFixed(1)} s for ${target} changes`),
      latencyRow('sync.batch', `  one pull batch (${DEFAULT_BATCH_SIZE} changes, 5× that while filling an empty cache), commit to commit`, sync.batchGaps, null),
      valueRow(
        'sync.raw',
        '  the physical limit: the same rows copied into the same schema in 50,000-row transactions without indexes, then the indexes',
        'msg/s',
        rawRate,
        null,
        `${raw.rows} rows in ${(raw.ms / 1000).toFixed(1)} s: ${(raw.fillMs / 1000).toFixed(1)} s of inserts, ${(raw.indexMs / 1000).toFixed(1)} s of indexes`,
      ),
      valueRow('sync.loopback', '  the same rows’ bytes moved over loopback TCP', 'ms', raw.loopbackMs, null, `${(raw.bytes / MB).toFixed(1)} MB as JSON`),
      valueRow('sync.ratio', '  ours ÷ the physical limit (throughput)', '×', rate / rawRate, { atLeast: 0.5 }),
    )
    // Before anything below adds to the change log: the same log as the sync above.
    await resumedSync(ctx, target, sync.ms)

    const cacheFile = join(ctx.cacheDir, CACHE_FILE)
    const cacheBytes = statSync(cacheFile).size + (existsSync(`${cacheFile}-wal`) ? statSync(`${cacheFile}-wal`).size : 0)
    const parts = await core.call<{ name: string; bytes: number }[]>('cacheBytes')
    ctx.details.cacheBytes = parts

    ctx.log('cache reads…')
    const reads = await core.call<ReadResults>('reads', { heavyCustomerId: dataset.heavy.customerId, customerIds: sampleCustomerIds, samples: options.size.samples })
    ctx.details.inboxByView = reads.inboxByView
    ctx.rows.push(
      latencyRow('timeline.query', `customer timeline first page, ${dataset.heavy.messages.toLocaleString('en')}-message customer (core)`, reads.heavyTimeline, { p95: 5 }),
      latencyRow('timeline.raw', '  raw better-sqlite3, same SQL', reads.heavyTimelineRaw, null),
      valueRow('timeline.ratio', '  ours ÷ raw (median)', '×', reads.heavyTimeline.median / reads.heavyTimelineRaw.median, null),
      latencyRow('timeline.any', '  timeline first page, typical customers (core)', reads.anyTimeline, { p95: 5 }),
      latencyRow('inbox.query', `inbox views (3 views × 4 status filters, 200 rows) over ${dataset.counts.conversations.toLocaleString('en')} conversations`, reads.inbox, { p95: 10 }),
      latencyRow('inbox.raw', '  raw better-sqlite3, same SQL', reads.inboxRaw, null),
      valueRow('inbox.ratio', '  ours ÷ raw (median)', '×', reads.inbox.median / reads.inboxRaw.median, null),
    )
    if (reads.summaries) {
      ctx.rows.push(
        latencyRow('summary.card', '  summary card on opening a customer (summaries.ofCustomer: story, staleness, rating), heavy and typical', reads.summaries.card, { p95: 10 }),
        latencyRow('summary.device', '  first open without a server story: the story written on this device, typical customers', reads.summaries.localFirst, null),
        valueRow('summary.device.heavy', `  …for the ${dataset.heavy.messages.toLocaleString('en')}-message customer (read from the cache and summarized)`, 'ms', reads.summaries.heavyFirst, null),
      )
    }
    if (reads.counts) ctx.rows.push(latencyRow('inbox.counts', '  sidebar counts per view (inbox.counts), refreshed with the list', reads.counts, { p95: 10 }))

    ctx.log('local search…')
    const userId = (await core.call<{ userId: string | null }>('session')).userId
    const search = await core.call<{ summary: Summary; worst: unknown[]; hits: number } | null>(
      'search',
      { texts: ['parcel', 'refund', 'Harper', 'zzqx'], userId, historyEnd: dataset.historyEnd },
      1_800_000,
    )
    if (search) {
      ctx.details.searchWorst = search.worst
      ctx.rows.push(
        latencyRow('search.local', `full-text search over ${dataset.counts.messages.toLocaleString('en')} messages, ${search.summary.n} filter combinations (core)`, search.summary, { p95: 50, max: 250 }),
      )
    } else {
      ctx.rows.push(notBuiltRow('search.local', 'full-text search over all messages, every filter combination', 'p95 ≤ 50 ms, max ≤ 250 ms', 'the client core has no search.query method yet'))
    }

    ctx.log('triage in the core…')
    const triage = await core.call<Summary>('triage', { customerIds: sampleCustomerIds, samples: options.size.samples })
    ctx.rows.push(latencyRow('triage.core', '  triage action in the core (resolve / reopen: cache, outbox, search index)', triage, null))

    ctx.log(`bulk steps on ${BULK_SIZE} conversations in the core…`)
    const bulk = await core.call<{ conversations: number; status: Summary; priority: Summary; undo: Summary }>(
      'bulk',
      { size: BULK_SIZE, samples: Math.min(options.size.samples, 20) },
      600_000,
    )
    const bulkNote = `${bulk.conversations} conversations a step`
    ctx.rows.push(
      latencyRow('bulk.status', `  bulk status change of ${BULK_SIZE} conversations in the core (one transaction: cache, outbox, search index)`, bulk.status, { median: 200 }, bulkNote),
      latencyRow('bulk.priority', `  bulk priority change of ${BULK_SIZE} conversations in the core`, bulk.priority, { median: 200 }, bulkNote),
      latencyRow('bulk.undo', '  undo of a bulk step (each conversation back to its own value)', bulk.undo, { median: 200 }, bulkNote),
    )

    ctx.log('saved view counts in the core…')
    const viewCounts = await core.call<{ views: number; matched: number; summary: Summary }>('viewCounts', { samples: options.size.samples }, 600_000)
    ctx.rows.push(
      latencyRow(
        'views.counts',
        `  counts of ${VIEW_COUNT} saved views over ${dataset.counts.conversations.toLocaleString('en')} conversations (views.counts, refreshed with the sidebar)`,
        viewCounts.summary,
        // Asked for with every inbox refresh, in the process that answers the agent's clicks: a
        // click can wait this long, and the timeline on screen has 100 ms in all.
        { p95: 50 },
        `${viewCounts.views} views matching ${viewCounts.matched.toLocaleString('en')} conversations in all`,
      ),
    )

    ctx.log('inbound webhook → online client cache…')
    const live = await liveArrival(ctx, core.onEvent.bind(core), (on) => core.call('watch', on))
    ctx.rows.push(latencyRow('live.one', 'inbound webhook → in an online client’s cache', live, { median: 10, p99: 50 }))

    const memory = await core.call<NodeJS.MemoryUsage>('memory')
    ctx.rows.push(
      valueRow('memory.core', 'core RSS after sync, reads and live updates (child process)', 'MB', memory.rss / MB, { atMost: 300 }, `heap used ${(memory.heapUsed / MB).toFixed(0)} MB`),
      valueRow('cache.size', 'cache on disk per 1M messages', 'MB', (cacheBytes / MB) * (1_000_000 / dataset.counts.messages), { atMost: 1_000 }, `${(cacheBytes / MB).toFixed(1)} MB for ${dataset.counts.messages.toLocaleString('en')} messages`),
      // Where those bytes are: each table and index holding a twentieth of the file or more.
      ...parts
        .filter((p) => p.bytes >= cacheBytes / 20)
        .map((p) => valueRow(`cache.bytes.${p.name}`, `  ${p.name} (table or index), per 1M messages`, 'MB', (p.bytes / MB) * (1_000_000 / dataset.counts.messages), null)),
    )
    return { heavyTimelineMedian: reads.heavyTimeline.median }
  } finally {
    await core.stop()
  }
}

/**
 * Posts inbound messages one at a time through the REST API channel and times each until
 * the client core reports it committed to its cache (its `data.changed` event).
 */
async function liveArrival(
  ctx: BenchContext,
  onEvent: (l: (event: string, payload: unknown) => void) => () => void,
  watch: (on: boolean) => Promise<unknown>,
): Promise<Summary> {
  const arrivals: { at: number; customerIds: string[] }[] = []
  const off = onEvent((event, payload) => {
    if (event === 'changed') {
      const p = payload as { at: number; entities: string[]; customerIds: string[] }
      if (p.entities.includes('message')) arrivals.push(p)
    }
  })
  await watch(true)
  const url = new URL('/api/v1/inbound', ctx.server.url)
  const latencies: number[] = []
  const runId = Date.now().toString(36)
  const n = ctx.options.size.samples
  try {
    for (let i = 0; i < n + 5; i++) {
      const sender = i % 50
      arrivals.length = 0
      const t0 = epochNow()
      const res = await requestJson(ctx.agent, 'POST', url, ctx.integrationToken, {
        channel: 'email',
        inbox: 'Support email',
        externalId: `<bench-live-${runId}-${i}@example.test>`,
        from: { kind: 'email', address: `live-${sender}@example.test`, name: `Live Sender ${sender}` },
        subject: `Live ${sender}`,
        text: `Live message ${i}: is anyone there?`,
      })
      if (res.status !== 201) throw new Error(`inbound answered ${res.status}: ${JSON.stringify(res.json)}`)
      const { customerId } = res.json as IngestResult
      const deadline = performance.now() + 5_000
      let hit: { at: number } | undefined
      while (!(hit = arrivals.find((a) => a.customerIds.includes(customerId) && a.at >= t0)) && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1))
      }
      if (!hit) throw new Error(`inbound message ${i} did not reach the client cache within 5 s`)
      if (i >= 5) latencies.push(hit.at - t0) // the first few warm up the path
      await new Promise((r) => setTimeout(r, 10))
    }
  } finally {
    off()
    await watch(false)
  }
  return summarize(latencies)
}

/**
 * A first sync cut short halfway, its core process killed as a crash or a forced quit does, and
 * resumed by a new process on the same cache: the two parts against one uninterrupted sync.
 */
async function resumedSync(ctx: BenchContext, target: number, uninterruptedMs: number): Promise<void> {
  ctx.log('the same sync killed halfway and resumed…')
  const args = {
    dataDir: join(ctx.runDir, 'resumed-cache'),
    serverUrl: ctx.server.url,
    token: ctx.token,
    targetCursor: target,
    timeoutMs: 3_600_000,
    cacheKey: newCacheKey().toString('hex'),
  }
  const first = child(ctx, 'core-client')
  let cut: { ms: number; cursor: number }
  try {
    cut = await first.call<{ ms: number; cursor: number }>('sync', { ...args, stopAtCursor: Math.floor(target / 2) }, 3_700_000)
    await first.call('kill').catch(() => undefined)
  } finally {
    await first.stop()
  }
  const second = child(ctx, 'core-client')
  let rest: { ms: number; messagesBefore: number }
  try {
    rest = await second.call<{ ms: number; messagesBefore: number }>('sync', args, 3_700_000)
  } finally {
    await second.stop()
  }
  const messages = ctx.dataset.counts.messages - rest.messagesBefore
  ctx.log(`  killed at cursor ${cut.cursor} after ${(cut.ms / 1000).toFixed(1)} s; resumed: ${messages} messages in ${(rest.ms / 1000).toFixed(1)} s`)
  ctx.rows.push(
    valueRow(
      'sync.resumed',
      '  the same sync killed halfway and resumed in a new process: both parts ÷ the uninterrupted sync',
      '×',
      (cut.ms + rest.ms) / uninterruptedMs,
      { atMost: 1.1 },
      `killed at cursor ${cut.cursor} of ${target} after ${(cut.ms / 1000).toFixed(1)} s, resumed with ${messages} messages to go, in ${(rest.ms / 1000).toFixed(1)} s`,
    ),
  )
}
