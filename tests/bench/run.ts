import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import os, { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer } from '../../src/server/server'
import { BENCH_DIR, ensureDataset } from './dataset'
import { requestJson } from './http'
import { formatTable, machine, type Row } from './report'
import { runBrowserScenarios } from './scenarios/browser'
import { runCipherScenarios } from './scenarios/cipher'
import { runDashboardScenarios } from './scenarios/dashboards'
import type { BenchContext } from './scenarios/context'
import { runFanoutScenario } from './scenarios/fanout'
import { runHostileHtmlScenario } from './scenarios/hostile-html'
import { runIngestScenario } from './scenarios/ingest'
import { placeBesideSqlite, runPostgresScenarios } from './scenarios/postgres'
import { runRemoteScenarios } from './scenarios/remote'
import { runExportScenario } from './scenarios/export'
import { runServerStartScenario } from './scenarios/server-start'
import { runSummaryScenarios } from './scenarios/summaries'
import { runCoreScenarios } from './scenarios/sync'
import { parseBenchArgs } from './sizes'

/**
 * `npm run bench [-- --size small|medium|full] [--seed N] [--only core,cipher,remote,browser,fanout,ingest,postgres,summaries,dashboards,export,hostile-html]
 * [--build-only] [--profile]`: builds or reuses the dataset, runs every scenario against the
 * real server, client core and renderer, prints the table and writes bench/results.json.
 * Targets are reported, never enforced: the exit code is non-zero only when a scenario broke.
 */

/** Quiet: under a tenth of a core for this long. */
const QUIET_WINDOW_MS = 5_000
const SETTLE_LIMIT_MS = 600_000

/**
 * Waits for the work a server start sets off in this process (the summaries reading the change
 * log from their saved cursor, at full size tens of seconds of CPU) to go quiet, so that it does
 * not fall on the first scenario's timings alone.
 */
async function settled(url: string): Promise<void> {
  const began = performance.now()
  for (;;) {
    const before = process.cpuUsage()
    await new Promise((done) => setTimeout(done, QUIET_WINDOW_MS))
    const used = process.cpuUsage(before)
    if ((used.user + used.system) / 1000 < QUIET_WINDOW_MS * 0.1) break
    if (performance.now() - began > SETTLE_LIMIT_MS) {
      log(`the server at ${url} was still busy ${SETTLE_LIMIT_MS / 1000} s after starting; going on`)
      return
    }
  }
  log(`server at ${url} quiet ${seconds(performance.now() - began)} after starting`)
}

const options = parseBenchArgs(process.argv.slice(2))
const began = performance.now()
const loadAverageAtStart = os.loadavg()
const log = (line: string): void => console.log(line)
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

const dataset = await ensureDataset(options.size, options.seed, log)
log(
  `dataset ${dataset.dir}: ${dataset.reused ? 'reused' : 'built'} (build took ${seconds(dataset.build.ms)}, ` +
    `${Math.round(dataset.build.stepsPerSecond)} ingest/mutation steps per second); ${JSON.stringify(dataset.counts)}`,
)
if (options.buildOnly) process.exit(0)

const runDir = mkdtempSync(join(tmpdir(), 'threadline-bench-'))
// The dataset stays pristine: scenarios write (live messages, triage, load) to a copy.
const dbPath = join(runDir, 'server.sqlite')
copyFileSync(dataset.serverDb, dbPath)
const server = await startServer({ dbPath, logLevel: 'warn', outbound: 'none', host: '127.0.0.1', port: 0 })
await settled(server.url)
const agentUser = await server.findUserByEmail(dataset.agentEmail)
if (!agentUser) throw new Error(`the dataset has no user ${dataset.agentEmail}`)
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 })
const ctx: BenchContext = {
  options,
  dataset,
  server,
  token: await server.createToken(agentUser.id, 'benchmark'),
  integrationToken: (await server.createIntegration({ name: 'benchmark', inboxes: ['Support email', 'Website chat'] })).token,
  agent,
  runDir,
  cacheDir: join(runDir, 'cache'),
  rows: [],
  details: {},
  log,
}

const sample = await requestJson(agent, 'GET', new URL('/api/v1/customers?limit=200', server.url), ctx.token)
const sampleCustomerIds = ((sample.json as { items: { id: string }[] }).items ?? []).map((c) => c.id)

const errors: { group: string; error: string }[] = []
const wanted = (group: string): boolean => options.only === null || options.only.includes(group)
async function group(name: string, run: () => Promise<void>): Promise<void> {
  if (!wanted(name)) return
  const t = performance.now()
  log(`\n== ${name}`)
  try {
    await run()
  } catch (err) {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err)
    errors.push({ group: name, error: message })
    log(`!! ${name} failed: ${message}`)
  }
  const took = performance.now() - t
  ctx.details.groupSeconds = { ...(ctx.details.groupSeconds as object), [name]: Math.round(took / 100) / 10 }
  log(`   (${name}: ${seconds(took)})`)
}

let local = { heavyTimelineMedian: Number.NaN }
try {
  // Before core: its syncs then read the dataset's change log, not the one core's bulk steps and live messages add to.
  await group('cipher', () => runCipherScenarios(ctx, sampleCustomerIds))
  await group('core', async () => {
    local = await runCoreScenarios(ctx, sampleCustomerIds)
  })
  await group('remote', () => runRemoteScenarios(ctx, local))
  await group('server', () => runServerStartScenario(ctx))
  await group('browser', () => runBrowserScenarios(ctx))
  await group('fanout', () => runFanoutScenario(ctx))
  await group('ingest', () => runIngestScenario(ctx))
  // Its own server nodes (child processes) on fresh PostgreSQL databases; the SQLite server idles meanwhile.
  await group('postgres', () => runPostgresScenarios(ctx))
  await group('summaries', () => runSummaryScenarios(ctx))
  await group('dashboards', () => runDashboardScenarios(ctx))
  await group('export', () => runExportScenario(ctx))
  // Last: on a server that sanitizes on its event loop, a hostile message may still be running when this ends.
  await group('hostile-html', () => runHostileHtmlScenario(ctx))
} finally {
  agent.destroy()
  await server.close()
  rmSync(runDir, { recursive: true, force: true })
}

const rows: Row[] = placeBesideSqlite(ctx.rows)
const results = {
  size: options.size.name,
  seed: options.seed,
  startedAt: new Date(Date.now() - (performance.now() - began)).toISOString(),
  durationMs: performance.now() - began,
  machine: { ...machine(), loadAverageAtStart },
  dataset: { counts: dataset.counts, heavy: dataset.heavy, build: dataset.build, reused: dataset.reused, dir: dataset.dir },
  loadAverageAtEnd: os.loadavg(),
  rows,
  details: ctx.details,
  errors,
}
mkdirSync(BENCH_DIR, { recursive: true })
writeFileSync(join(BENCH_DIR, 'results.json'), JSON.stringify(results, null, 2))
writeFileSync(join(BENCH_DIR, `results-${options.size.name}.json`), JSON.stringify(results, null, 2))
writeFileSync(join(BENCH_DIR, `results-${options.size.name}.md`), formatTable(rows, true) + '\n')

log(`\nThreadline benchmark, size ${options.size.name} (seed ${options.seed}) on ${results.machine.cores} × ${results.machine.cpuModel}, ${results.machine.memory}, Node ${process.version}`)
log(`dataset: ${dataset.counts.customers.toLocaleString('en')} customers, ${dataset.counts.conversations.toLocaleString('en')} conversations, ${dataset.counts.messages.toLocaleString('en')} messages\n`)
log(formatTable(rows, false))
for (const r of rows.filter((r) => r.note)) log(`  ${r.id}: ${r.note}`)
log(`\nwrote ${join(BENCH_DIR, 'results.json')} in ${seconds(performance.now() - began)}`)
if (errors.length) {
  log(`\n${errors.length} scenario group(s) failed: ${errors.map((e) => e.group).join(', ')}`)
  process.exitCode = 1
}
