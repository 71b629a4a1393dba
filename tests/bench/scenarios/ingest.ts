import { readFileSync } from 'node:fs'
import { latencyRow, valueRow } from '../report'
import { summarize } from '../stats'
import { child, type BenchContext } from './context'

/** Sustained inbound webhook ingest: POST /api/v1/inbound from a keep-alive load generator in another process. */
export async function runIngestScenario(ctx: BenchContext): Promise<void> {
  const { size } = ctx.options
  const load = child(ctx, 'http-load')
  try {
    // A short unmeasured burst warms the JIT and the statement caches.
    await load.call('run', { url: ctx.server.url, token: ctx.integrationToken, count: 200, concurrency: size.ingestConcurrency, runId: `warm${Date.now()}`, senders: 100 })
    // The server runs in this process: its CPU time and the bytes it hands the disk, per item.
    const cpuBefore = process.cpuUsage()
    const writtenBefore = bytesWritten()
    const result = await load.call<{ ms: number; latencies: number[]; statuses: Record<string, number> }>(
      'run',
      { url: ctx.server.url, token: ctx.integrationToken, count: size.ingestRequests, concurrency: size.ingestConcurrency, runId: Date.now().toString(36), senders: 2_000 },
      1_800_000,
    )
    const cpu = process.cpuUsage(cpuBefore)
    const writtenAfter = bytesWritten()
    const created = result.statuses['201'] ?? 0
    const note = `${size.ingestRequests} requests, ${size.ingestConcurrency} in flight; statuses ${JSON.stringify(result.statuses)}`
    ctx.rows.push(
      valueRow('ingest.rate', 'inbound webhook ingest through HTTP, sustained', 'msg/s', created / (result.ms / 1000), { atLeast: 2_000 }, note),
      latencyRow('ingest.latency', '  per-request latency under that load', summarize(result.latencies), { p99: 50 }),
      valueRow('ingest.cpu', '  the server’s CPU time per item (user + system)', 'ms', (cpu.user + cpu.system) / 1000 / created, null),
    )
    if (writtenBefore !== null && writtenAfter !== null) {
      ctx.rows.push(valueRow('ingest.written', '  bytes the server wrote to disk per item (WAL and checkpoints)', 'KB', (writtenAfter - writtenBefore) / 1024 / created, null))
    }
  } finally {
    await load.stop()
  }
}

/** Bytes this process has caused to be written to storage so far (Linux); null where the kernel does not say. */
function bytesWritten(): number | null {
  try {
    const line = readFileSync('/proc/self/io', 'utf8').split('\n').find((l) => l.startsWith('write_bytes:'))
    return line ? Number(line.split(':')[1]) : null
  } catch {
    return null
  }
}
