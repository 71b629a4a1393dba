import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { openSqliteStore } from '../../../src/server/store/sqlite/sqlite-store'
import { latencyRow, valueRow } from '../report'
import { summarize } from '../stats'
import type { BenchContext } from './context'

/**
 * Starting the sync server on the whole dataset as an operator does: `node out/server/main.js`
 * (what `npm run server` runs), timed from the spawn to the first answered `/health`, on a copy
 * of the dataset's store (brought to this version first) with the OS page cache warm. Then the
 * server's resident memory: once it listens, and 30 s later, with the work a start sets off in
 * the background (the summaries reading the change log from their saved cursor, the SLA and
 * retention timers) and the CPU it took.
 */

const ROOT = resolve(import.meta.dirname, '../../..')
const STARTS = 5
/** The start target: accepting connections within a second. */
const START_MAX_MS = 1_000
/** How long the server runs after its start before its memory is read again. */
const SETTLE_MS = 30_000
/** Linux's USER_HZ: /proc counts CPU time in hundredths of a second. */
const TICK_MS = 10
const MB = 1024 * 1024

interface Started {
  process: ChildProcess
  url: string
  ms: number
}

/** /proc/<pid>/status memory lines, in bytes. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024
  return { rss: kb('VmRSS'), peak: kb('VmHWM') }
}

/** User plus system CPU time of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return Number(fields[11]) + Number(fields[12])
}

async function start(dbPath: string): Promise<Started> {
  const began = performance.now()
  const child = spawn(process.execPath, [join(ROOT, 'out/server/main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      THREADLINE_DB: dbPath,
      THREADLINE_HOST: '127.0.0.1',
      THREADLINE_PORT: '0',
      THREADLINE_OUTBOUND: 'none',
      THREADLINE_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const listening = /listening on (http:\/\/\S+)/.exec(output)
      if (listening) resolveUrl(listening[1]!)
    })
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening: ${output}`)))
  })
  const health = await fetch(new URL('/health', url))
  if (!health.ok) throw new Error(`/health answered ${health.status}`)
  return { process: child, url, ms: performance.now() - began }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((done) => child.once('exit', done))
  child.kill('SIGTERM')
  await exited
}

export async function runServerStartScenario(ctx: BenchContext): Promise<void> {
  execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/build-server.ts'), '--if-stale'], { cwd: ROOT, stdio: 'ignore' })
  const dbPath = join(ctx.runDir, 'server-start.sqlite')
  copyFileSync(ctx.dataset.serverDb, dbPath)
  // A dataset built by an older version is brought to this one first: the starts time starting, not upgrading.
  const migrating = performance.now()
  await openSqliteStore(dbPath).close()
  ctx.log(`  the store's copy opened and migrated in ${(performance.now() - migrating).toFixed(0)} ms before the timed starts`)
  const times: number[] = []
  let memory: { listening: number; settled: number; peak: number; cpuMs: number } | null = null
  for (let run = 0; run < STARTS; run++) {
    const started = await start(dbPath)
    try {
      times.push(started.ms)
      ctx.log(`  start ${run + 1}/${STARTS}: ${started.ms.toFixed(0)} ms to an answered /health`)
      if (run === STARTS - 1) {
        const pid = started.process.pid!
        const listening = memoryOf(pid).rss
        const ticks = cpuTicks(pid)
        await new Promise((done) => setTimeout(done, SETTLE_MS))
        const settled = memoryOf(pid)
        memory = { listening, settled: settled.rss, peak: settled.peak, cpuMs: (cpuTicks(pid) - ticks) * TICK_MS }
      }
    } finally {
      await stop(started.process)
    }
  }
  const storeMb = statSync(dbPath).size / MB
  const messages = ctx.dataset.counts.messages.toLocaleString('en')
  ctx.rows.push(
    latencyRow('server.start', `sync server start on a ${messages}-message store → /health answered`, summarize(times), { max: START_MAX_MS }, `${STARTS} starts of node out/server/main.js, store ${storeMb.toFixed(0)} MB, page cache warm`),
  )
  if (memory) {
    ctx.rows.push(
      valueRow('server.rss.listening', '  server RSS once listening', 'MB', memory.listening / MB, null),
      valueRow('server.rss.settled', `  server RSS ${SETTLE_MS / 1000} s later`, 'MB', memory.settled / MB, null, `the server used ${(memory.cpuMs / 1000).toFixed(1)} s of CPU in those ${SETTLE_MS / 1000} s`),
      valueRow('server.rss.peak', '  peak server RSS over those first seconds', 'MB', memory.peak / MB, null),
    )
  }
}
