import { existsSync, mkdirSync } from 'node:fs'
import os from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { startServer, type SyncServer } from '../../../src/server/server'
import { createTestDatabase, type TestDatabase } from '../../support/postgres'
import { seedDataset } from '../dataset'
import { requestJson } from '../http'
import { latencyRow, valueRow, type Row } from '../report'
import type { ChildHandle } from '../rpc'
import { epochNow, summarize, type Summary } from '../stats'
import { child, type BenchContext } from './context'

/**
 * The server on PostgreSQL (`databaseUrl`): one node, then two nodes sharing one database and one
 * Redis (`redisUrl`), then an initial sync from a copy of the dataset. Each part gets a fresh
 * database of its own, dropped when the group ends whether the part worked or not. The database
 * server is THREADLINE_TEST_POSTGRES_URL's (as for the tests; default
 * postgres://postgres@127.0.0.1:5432/postgres), Redis THREADLINE_TEST_REDIS_URL's.
 *
 * Where the nodes run: node A in the runner's process, as the SQLite server of the other groups
 * (so `pg.ingest` is measured exactly as `ingest` is, and `pg.sync` as `sync`), node B in a child
 * process (children/server-node.ts). Two nodes in one process would share one event loop, so the
 * second could add no throughput whatever the server does; the runner itself does nothing while
 * the load runs (the load generator and the sync clients are child processes, as everywhere in
 * the bench), so node A has its process to itself. Node B is not in a child of its own for the
 * one-node run too because loading the server in a new process takes ~4 s on this machine, which
 * the small size cannot afford three times.
 */

const REDIS_URL = process.env.THREADLINE_TEST_REDIS_URL || 'redis://127.0.0.1:6379'

/** The SQLite → PostgreSQL copy (`store:copy`), used when this checkout has it. */
const COPY_STORE = resolve(import.meta.dirname, '../../../src/server/store/copy-store.ts')
type CopyStore = (options: { from: string; to: string }) => Promise<{ rows: number; lastSeq: number; ms: number }>

/**
 * Unmeasured requests before the ingest load (scenarios/ingest.ts sends 200): enough to warm the
 * JIT and the statement caches, and at PostgreSQL's rate 200 took seconds of the group's budget.
 */
const WARM_UP = 50

interface IngestRun {
  ms: number
  latencies: number[]
  statuses: Record<string, number>
  createdBy: number[]
}

/** Where each PostgreSQL row goes in the table: after its SQLite counterpart when that group ran. */
const BESIDE: Record<string, string> = {
  'pg.sync.rate': 'sync.ratio',
  'pg.live.cross': 'live.fanout',
  'pg.ingest.rate': 'ingest.latency',
}

/** Moves each run of PostgreSQL rows to just after its SQLite counterpart (the rows stay at the end when that group did not run). */
export function placeBesideSqlite(rows: Row[]): Row[] {
  const pg = rows.filter((r) => r.id.startsWith('pg.'))
  const out = rows.filter((r) => !r.id.startsWith('pg.'))
  // Runs of rows that belong together: each starts at a row named in BESIDE.
  const runs: Row[][] = []
  for (const r of pg) {
    if (BESIDE[r.id] !== undefined || runs.length === 0) runs.push([r])
    else runs.at(-1)!.push(r)
  }
  const left: Row[] = []
  for (const run of runs) {
    const anchor = BESIDE[run[0]!.id]
    const at = anchor === undefined ? -1 : out.findIndex((r) => r.id === anchor)
    if (at < 0) left.push(...run)
    else out.splice(at + 1, 0, ...run)
  }
  return [...out, ...left]
}

export async function runPostgresScenarios(ctx: BenchContext): Promise<void> {
  const { size } = ctx.options
  const failures: string[] = []
  const cleanup = new Cleanup()
  const took = (since: number): string => `${((performance.now() - since) / 1000).toFixed(1)} s`
  /** Runs one part; a failed part is reported and the next one still runs. */
  const part = async (name: string, run: () => Promise<void>): Promise<void> => {
    const started = performance.now()
    try {
      await run()
    } catch (err) {
      failures.push(`${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
      ctx.log(`  !! ${name} failed: ${err instanceof Error ? err.message : String(err)}`)
    } finally {
      ctx.log(`  (${name}: ${took(started)})`)
    }
  }
  try {
    // The child processes load their modules meanwhile (seconds each); nothing is measured until they answer.
    const children = Promise.all([
      ready(cleanup.child(child(ctx, 'server-node'))),
      ready(cleanup.child(child(ctx, 'http-load'))),
      ready(cleanup.child(child(ctx, 'socket-clients'))),
      ready(cleanup.child(child(ctx, 'core-client'))),
    ])
    // Settled at once, awaited below: a child that fails to start must not be an unhandled rejection.
    children.catch(() => undefined)

    let oneNodeRate = Number.NaN
    await part('one node', async () => {
      const db = cleanup.database(await createTestDatabase())
      const node = await inProcessNode(ctx, cleanup, 'one', db.url, null)
      const token = (await node.createIntegration({ name: 'benchmark', inboxes: INBOXES })).token
      const [, load] = await children
      ctx.log(`ingest on PostgreSQL, one node: ${size.ingestRequests} requests, ${size.ingestConcurrency} in flight…`)
      const run = await ingest(ctx, load, () => node.counts(), [node.url], token)
      oneNodeRate = run.rate
      ctx.rows.push(
        valueRow('pg.ingest.rate', 'PostgreSQL, one node: inbound webhook ingest through HTTP, sustained', 'msg/s', run.rate, null, run.note),
        latencyRow('pg.ingest.latency', '  per-request latency under that load', summarize(run.latencies), null),
        valueRow('pg.ingest.cpu', '  the machine’s CPU time per message (every process)', 'ms', run.cpuPerMessage, null, run.cpuNote),
      )
      await node.close()
    })

    await part('two nodes', async () => {
      const db = cleanup.database(await createTestDatabase())
      const a = await inProcessNode(ctx, cleanup, 'a', db.url, REDIS_URL)
      const [nodeB, load, sockets] = await children
      const b = await nodeB.call<{ url: string }>('start', { databaseUrl: db.url, redisUrl: REDIS_URL }, 120_000)
      const token = (await a.createIntegration({ name: 'benchmark', inboxes: INBOXES })).token
      ctx.log('ingest on PostgreSQL, two nodes + Redis: the same load dealt out over both…')
      const run = await ingest(ctx, load, () => a.counts(), [a.url, b.url], token)
      ctx.rows.push(
        valueRow('pg.ingest2.rate', 'PostgreSQL, two nodes + Redis: the same ingest load over both nodes', 'msg/s', run.rate, null, run.note),
        latencyRow('pg.ingest2.latency', '  per-request latency under that load', summarize(run.latencies), null),
        valueRow('pg.ingest2.cpu', '  the machine’s CPU time per message (every process)', 'ms', run.cpuPerMessage, null, run.cpuNote),
        valueRow('pg.ingest2.ratio', '  two nodes ÷ one node (throughput)', '×', run.rate / oneNodeRate, { atLeast: 1.6 }),
      )

      const { clients, samples } = size.pgLive
      ctx.log(`inbound webhook on node A → cache of ${clients} sync clients on node B, ${samples} samples…`)
      const agentToken = await nodeB.call<string>('agentToken', { email: 'bench-agent@example.test', name: 'Bench Agent' })
      const live = await liveAcross(ctx, sockets, { postTo: a.url, followOn: b.url, lastSeq: (await a.counts()).lastSeq, integrationToken: token, agentToken, clients, samples })
      ctx.rows.push(
        latencyRow(
          'pg.live.cross',
          `PostgreSQL: webhook on node A → in the cache of ${clients} sync clients on node B (nudge, pull; all arrivals)`,
          live.summary,
          { p99: 100 },
          live.note,
        ),
      )
      // Node B stops with the children at the end, node A now: the initial sync has the runner to itself.
      await a.close()
    })

    await part('initial sync', async () => {
      const db = cleanup.database(await createTestDatabase())
      const { node, filledBy } = await fillFromDataset(ctx, cleanup, db)
      const counts = await node.counts()
      if (counts.messages !== ctx.dataset.counts.messages) {
        throw new Error(`PostgreSQL holds ${counts.messages} messages after ${filledBy}; the dataset has ${ctx.dataset.counts.messages}`)
      }
      const agent = await node.findUserByEmail(ctx.dataset.agentEmail)
      if (!agent) throw new Error(`PostgreSQL has no user ${ctx.dataset.agentEmail} after ${filledBy}`)
      const token = await node.createToken(agent.id, 'benchmark')
      const [, , , core] = await children
      ctx.log(`initial sync from PostgreSQL of ${counts.messages.toLocaleString('en')} messages (${counts.lastSeq.toLocaleString('en')} changes) into an empty cache…`)
      const sync = await core.call<{ ms: number; batches: number; batchGaps: Summary }>(
        'sync',
        { dataDir: join(ctx.runDir, 'pg-cache'), serverUrl: node.url, token, targetCursor: counts.lastSeq, timeoutMs: 3_600_000 },
        3_700_000,
      )
      const rate = counts.messages / (sync.ms / 1000)
      ctx.log(`  ${(sync.ms / 1000).toFixed(1)} s, ${Math.round(rate).toLocaleString('en')} messages/s`)
      const sqlite = ctx.rows.find((r) => r.id === 'sync.rate')?.median
      ctx.rows.push(
        valueRow(
          'pg.sync.rate',
          'initial sync into an empty cache from a PostgreSQL server (same dataset, socket.io + createCore)',
          'msg/s',
          rate,
          null,
          `${sync.batches} batches, ${(sync.ms / 1000).toFixed(1)} s for ${counts.lastSeq} changes; PostgreSQL filled by ${filledBy}` +
            (sqlite ? `; ${(rate / sqlite).toFixed(2)}× the SQLite server's rate in this run` : ''),
        ),
      )
    })
  } finally {
    // Nodes and children first (their sessions end), then the databases.
    await cleanup.run(ctx.log)
  }
  if (failures.length) throw new Error(`${failures.length} PostgreSQL part(s) failed:\n${failures.join('\n')}`)
}

const INBOXES = ['Support email', 'Website chat']

/** Waits until a child has loaded its modules and answers (its "unknown method" answer will do). */
async function ready(handle: ChildHandle): Promise<ChildHandle> {
  try {
    await handle.call('ready?', undefined, 120_000)
  } catch (err) {
    if (!(err instanceof Error && err.message.includes('unknown method'))) throw err
  }
  return handle
}

/** A server node in the runner's process on `databaseUrl`, closed by `cleanup` if not before. */
async function inProcessNode(ctx: BenchContext, cleanup: Cleanup, name: string, databaseUrl: string, redisUrl: string | null): Promise<SyncServer> {
  // The folder connectors keep their files in (email attachments); the store is PostgreSQL.
  const dir = join(ctx.runDir, `pg-node-${name}`)
  mkdirSync(dir, { recursive: true })
  const server = await startServer({ dbPath: join(dir, 'unused.sqlite'), databaseUrl, redisUrl, logLevel: 'warn', outbound: 'none', host: '127.0.0.1', port: 0 })
  cleanup.add(`closing node ${name}`, () => server.close())
  return server
}

/** What the group started: stopped and dropped in reverse order however it ends. */
class Cleanup {
  private readonly steps: { what: string; run: () => Promise<void> }[] = []

  add(what: string, run: () => Promise<void>): void {
    this.steps.push({ what, run })
  }

  child(handle: ChildHandle): ChildHandle {
    this.add(`stopping child ${handle.pid}`, () => handle.stop())
    return handle
  }

  database(db: TestDatabase): TestDatabase {
    // Dropped after everything else whenever it was created: nodes still connected would hold it.
    this.steps.unshift({ what: `dropping ${db.url.replace(/^.*\//, '')}`, run: () => db.drop() })
    return db
  }

  async run(log: (line: string) => void): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step.run()
      } catch (err) {
        log(`  !! ${step.what} failed: ${err instanceof Error ? err.message : String(err)}`)
      }
    }
  }
}

/**
 * The ingest scenario's load (scenarios/ingest.ts: same generator, warm-up, request count and
 * concurrency), dealt out over `urls`; then checks that every accepted item is in the database.
 */
async function ingest(
  ctx: BenchContext,
  load: ChildHandle,
  counts: () => Promise<{ messages: number }>,
  urls: string[],
  token: string,
): Promise<{ rate: number; latencies: number[]; note: string; cpuPerMessage: number; cpuNote: string }> {
  const { size } = ctx.options
  const before = await counts()
  const common = { url: urls[0], urls, token, concurrency: size.ingestConcurrency }
  const warm = await load.call<IngestRun>('run', { ...common, count: WARM_UP, runId: `pgwarm${Date.now()}`, senders: 100 })
  const cpuBefore = machineCpu()
  const result = await load.call<IngestRun>('run', { ...common, count: size.ingestRequests, runId: `pg${Date.now().toString(36)}`, senders: 2_000 }, 1_800_000)
  const cpu = machineCpu(cpuBefore)
  const after = await counts()
  const created = result.statuses['201'] ?? 0
  const accepted = (warm.statuses['201'] ?? 0) + created
  const stored = after.messages - before.messages
  const problems: string[] = []
  if (stored !== accepted) problems.push(`${accepted} accepted (201) but ${stored} new messages in the database`)
  for (const [what, statuses] of [['warm-up', warm.statuses], ['load', result.statuses]] as const) {
    const other = Object.entries(statuses).filter(([status]) => status !== '201')
    if (other.length) problems.push(`${what} answered ${JSON.stringify(Object.fromEntries(other))}`)
  }
  if (problems.length) ctx.log(`  !! ${problems.join('; ')}`)
  const perNode = urls.length > 1 ? `; 201s per node ${result.createdBy.join(' / ')}` : ''
  const note = `${size.ingestRequests} requests, ${size.ingestConcurrency} in flight; statuses ${JSON.stringify(result.statuses)}${perNode}` + (problems.length ? `; PROBLEM: ${problems.join('; ')}` : '')
  return {
    rate: created / (result.ms / 1000),
    latencies: result.latencies,
    note,
    cpuPerMessage: cpu.busyMs / created,
    cpuNote: `the machine's ${os.cpus().length} cores ${Math.round(cpu.busyShare * 100)} % busy during the load`,
  }
}

/**
 * CPU time of the whole machine (every process: the nodes, PostgreSQL, Redis, the load
 * generator): busy and total milliseconds summed over its cores, since `since` when given.
 */
function machineCpu(since?: { busyMs: number; totalMs: number }): { busyMs: number; totalMs: number; busyShare: number } {
  let busyMs = 0
  let totalMs = 0
  for (const { times } of os.cpus()) {
    const total = times.user + times.nice + times.sys + times.irq + times.idle
    totalMs += total
    busyMs += total - times.idle
  }
  if (since) {
    busyMs -= since.busyMs
    totalMs -= since.totalMs
  }
  return { busyMs, totalMs, busyShare: totalMs > 0 ? busyMs / totalMs : 0 }
}

/**
 * Webhooks posted one at a time to node A while bare sync clients follow the change log on node
 * B (children/socket-clients.ts, `follow`): node A's commit reaches B as a Redis notice, B nudges
 * its clients, each pulls from its cursor. Timed from just before the POST (as live.one and
 * live.fanout are) to the pull answer carrying the message reaching each client.
 */
async function liveAcross(
  ctx: BenchContext,
  sockets: ChildHandle,
  args: { postTo: string; followOn: string; lastSeq: number; integrationToken: string; agentToken: string; clients: number; samples: number },
): Promise<{ summary: Summary; note: string | undefined }> {
  const connected = await sockets.call<{ ms: number; connected: number }>('connect', {
    serverUrl: args.followOn,
    token: args.agentToken,
    count: args.clients,
    follow: { cursor: args.lastSeq },
  })
  ctx.log(`  ${connected.connected} sync clients connected to node B in ${(connected.ms / 1000).toFixed(1)} s`)
  const url = new URL('/api/v1/inbound', args.postTo)
  const latencies: number[] = []
  /** The POST's own time (to its 201 on node A), and the first client's arrival, per sample. */
  const posts: number[] = []
  const firsts: number[] = []
  let missing = 0
  const runId = Date.now().toString(36)
  const warmUp = 3
  for (let i = 0; i < args.samples + warmUp; i++) {
    const marker = `Across ${runId} ${i}: is anyone on the other node?`
    await sockets.call('expect', marker)
    const t0 = epochNow()
    const res = await requestJson(ctx.agent, 'POST', url, args.integrationToken, {
      channel: 'chat',
      inbox: 'Website chat',
      externalId: `bench-across-${runId}-${i}`,
      from: { kind: 'chat', address: `across-visitor-${i % 10}`, name: `Across Visitor ${i % 10}` },
      threadKey: `bench-across-${runId}-${i % 10}`,
      text: marker,
    })
    const answered = epochNow()
    if (res.status !== 201) throw new Error(`inbound on node A answered ${res.status}: ${JSON.stringify(res.json)}`)
    const got = await sockets.call<{ times: number[]; missing: number }>('collect', { marker, timeoutMs: 5_000 })
    if (i < warmUp) continue
    missing += got.missing
    latencies.push(...got.times.map((t) => t - t0))
    posts.push(answered - t0)
    if (got.times.length) firsts.push(Math.min(...got.times) - t0)
    await new Promise((r) => setTimeout(r, 20))
  }
  const stats = await sockets.call<{ pulls: number; errors: string[]; errorCount: number }>('followStats')
  const p50 = (xs: number[]): string => `${summarize(xs).median.toFixed(1)} ms`
  const notes = [`POST to its 201 on node A: median ${p50(posts)}; first client of ${args.clients}: median ${p50(firsts)}; ${stats.pulls} pulls`]
  if (missing) notes.push(`PROBLEM: ${missing} arrivals missing after 5 s`)
  if (stats.errorCount) notes.push(`PROBLEM: ${stats.errorCount} pull errors, e.g. ${stats.errors[0]}`)
  if (missing || stats.errorCount) ctx.log(`  !! ${notes.slice(1).join('; ')}`)
  return { summary: summarize(latencies), note: notes.join('; ') }
}

/**
 * A node in the runner's process on the empty database `db`, holding the dataset: the SQLite
 * store copied with `store:copy`'s function when this checkout has it (before the node starts),
 * else the dataset's recipe replayed through the node (new ids, same counts; slow: every step
 * commits on its own). A copy that fails leaves the target empty: the replay follows.
 */
async function fillFromDataset(ctx: BenchContext, cleanup: Cleanup, db: TestDatabase): Promise<{ node: SyncServer; filledBy: string }> {
  const copy = await loadCopyStore()
  let failed = ''
  if (copy) {
    ctx.log(`copying the ${ctx.dataset.size} dataset's SQLite store into PostgreSQL (store:copy)…`)
    try {
      const result = await copy({ from: ctx.dataset.serverDb, to: db.url })
      ctx.log(`  ${result.rows.toLocaleString('en')} rows in ${(result.ms / 1000).toFixed(1)} s`)
      const node = await inProcessNode(ctx, cleanup, 'sync', db.url, null)
      return { node, filledBy: `store:copy (${result.rows} rows in ${(result.ms / 1000).toFixed(1)} s)` }
    } catch (err) {
      failed = ', after the copy failed'
      ctx.log(`  !! the copy failed, replaying the dataset instead: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  ctx.log(`replaying the ${ctx.dataset.size} dataset's recipe through a node on PostgreSQL…`)
  const node = await inProcessNode(ctx, cleanup, 'sync', db.url, null)
  const started = performance.now()
  const seeded = await seedDataset(node, ctx.options.size, ctx.options.seed)
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  ctx.log(`  ${seeded.demo.steps + ctx.options.size.heavyMessages} steps in ${seconds} s`)
  return { node, filledBy: `replaying the dataset recipe (${seconds} s${failed})` }
}

async function loadCopyStore(): Promise<CopyStore | null> {
  if (!existsSync(COPY_STORE)) return null
  // Loaded by path, not imported: the bench must also run (replaying) in a checkout without it.
  const mod = (await import(pathToFileURL(COPY_STORE).href)) as { copySqliteToPostgres?: unknown }
  return typeof mod.copySqliteToPostgres === 'function' ? (mod.copySqliteToPostgres as CopyStore) : null
}
