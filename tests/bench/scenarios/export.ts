import { join, resolve } from 'node:path'
import { latencyRow, valueRow } from '../report'
import { startChild } from '../rpc'
import { summarize } from '../stats'
import type { BenchContext } from './context'

/**
 * Exporting a customer with 10,000 messages (a data-subject request): the whole archive written to a file, in
 * a child process of its own so its peak resident memory is the export's. The archive streams
 * the history a page at a time, so memory should not grow with it.
 */

const MESSAGES = 10_000
/** About what an email body holds once quotes are stripped. */
const TEXT_BYTES = 1_000
const RUNS = 5

export async function runExportScenario(ctx: BenchContext): Promise<void> {
  const file = resolve(import.meta.dirname, '../children/export-customer.ts')
  const dir = join(ctx.runDir, 'export')
  const seeder = startChild(file)
  let seeded: { dbBytes: number }
  try {
    seeded = await seeder.call<{ dbBytes: number }>('seed', { dir, messages: MESSAGES, textBytes: TEXT_BYTES })
  } finally {
    await seeder.stop()
  }
  const exporter = startChild(file)
  try {
    const runs: { ms: number; messages: number; bytes: number; rssBeforeMb: number; peakRssMb: number }[] = []
    // The first run warms the page cache and the code; it is kept in the details only.
    for (let run = 0; run <= RUNS; run++) runs.push(await exporter.call('export', { dir, run }))
    const measured = runs.slice(1)
    if (measured.some((r) => r.messages !== MESSAGES)) throw new Error(`an export held ${measured.map((r) => r.messages).join(', ')} messages, not ${MESSAGES}`)
    const peak = Math.max(...runs.map((r) => r.peakRssMb))
    const mb = (bytes: number): number => Math.round((bytes / (1024 * 1024)) * 10) / 10
    ctx.log(
      `  ${MESSAGES.toLocaleString('en')} messages (${TEXT_BYTES.toLocaleString('en')} bytes of text each, ${mb(seeded.dbBytes)} MB database): ` +
        `${mb(measured[0]!.bytes)} MB archive; RSS before the first export ${runs[0]!.rssBeforeMb} MB, peak ${peak} MB`,
    )
    ctx.details.export = { messages: MESSAGES, textBytes: TEXT_BYTES, databaseMb: mb(seeded.dbBytes), runs }
    ctx.rows.push(
      latencyRow('export-10k', `export a customer with ${MESSAGES.toLocaleString('en')} messages to a zip archive`, summarize(measured.map((r) => r.ms)), { median: 3_000 }),
      valueRow('export-10k-rss', '  peak RSS of the exporting process', 'MB', peak, { atMost: 200 }, `RSS before the first export ${runs[0]!.rssBeforeMb} MB: the export adds ${Math.round(peak - runs[0]!.rssBeforeMb)} MB`),
    )
  } finally {
    await exporter.stop()
  }
}
