import fs from 'node:fs'
import path from 'node:path'
import { systemActor } from '../../../src/shared/actors'
import { exportCustomerToFile } from '../../../src/server/privacy/export-file'
import { openSqliteStore } from '../../../src/server/store/sqlite/sqlite-store'
import type { Store } from '../../../src/server/store/store'
import { seedLongHistory } from '../../support/export-history'
import { serveParent } from '../rpc'

/**
 * One long customer history, and exports of it. The parent seeds in one of these processes and
 * exports in a fresh one, so the exporting process's resident memory is the export's alone.
 */

const CUSTOMER = 'bench-export'
let store: Store | null = null

const mb = (bytes: number): number => Math.round((bytes / (1024 * 1024)) * 10) / 10
const dbPath = (dir: string): string => path.join(dir, 'export.sqlite')

serveParent(
  {
    async seed(args: { dir: string; messages: number; textBytes: number }) {
      fs.mkdirSync(args.dir, { recursive: true })
      const seeding = openSqliteStore(dbPath(args.dir))
      try {
        await seedLongHistory(seeding, { customerId: CUSTOMER, messages: args.messages, textBytes: args.textBytes })
      } finally {
        await seeding.close()
      }
      return { dbBytes: fs.statSync(dbPath(args.dir)).size }
    },
    /** One export to a file, timed, with the highest resident memory seen while it ran (sampled every 5 ms). */
    async export(args: { dir: string; run: number }) {
      store ??= openSqliteStore(dbPath(args.dir))
      const before = process.memoryUsage().rss
      let peak = before
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss)
      }, 5)
      const file = path.join(args.dir, `export-${args.run}.zip`)
      const t = performance.now()
      const manifest = await exportCustomerToFile({ store, config: { dbPath: dbPath(args.dir) } }, { customerId: CUSTOMER, exportedBy: systemActor('bench') }, file)
      const ms = performance.now() - t
      clearInterval(sampler)
      peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024)
      const bytes = fs.statSync(file).size
      fs.rmSync(file)
      return { ms, messages: manifest.counts.messages, bytes, rssBeforeMb: mb(before), peakRssMb: mb(peak) }
    },
  },
  async () => {
    await store?.close()
  },
)
