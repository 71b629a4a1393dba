import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { createCore, CACHE_FILE, type Core } from '../../../src/core/index'
import { beginBulkLoad, bulkLoadPending, ENTITY_TABLES, finishBulkLoad } from '../../../src/core/db/bulk-load'
import { unlockCache } from '../../../src/core/db/cipher'
import { eventBlocksAfter } from '../../../src/core/db/event-blocks'
import { openCache } from '../../../src/core/db/open'
import { inboxListSql, TIMELINE_SQL } from '../../../src/core/db/queries'
import type { ViewFilters } from '../../../src/shared/domain'
import { IPC_METHODS, type InboxView, type SyncState } from '../../../src/shared/ipc'
import { serveParent } from '../rpc'
import { epochNow, summarize, timeEach, type Summary } from '../stats'

/**
 * A client core in its own process, as in the desktop app: the initial sync, reads from the
 * cache, the same reads and inserts with raw better-sqlite3, and arrival times of live
 * changes (reported to the parent as events).
 */

let core: Core | null = null
let dataDir = ''
/** The cache's key when the run encrypts it (as the app does); the raw connections need it too. */
let cacheKey: Buffer | undefined
let watching = false
let lastState: SyncState | null = null
const changedAt: number[] = []
const stateWaiters = new Set<() => void>()

/** A second, read-only connection to the core's cache, keyed as the core's own. */
function readCache(): BetterSqlite3.Database {
  const file = join(dataDir, CACHE_FILE)
  const raw = new BetterSqlite3(file, { readonly: true })
  unlockCache(raw, file, cacheKey ?? null, () => new BetterSqlite3(file, { readonly: true }))
  return raw
}

function countMessages(): number {
  const raw = readCache()
  try {
    return (raw.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n
  } finally {
    raw.close()
  }
}

/** How many rows the physical-limit fill copies per transaction. */
const RAW_CHUNK = 50_000

/** Milliseconds to send `bytes` from one loopback TCP socket to another, in 1 MB writes, until the last byte is read. */
function sendOverLoopback(bytes: number): Promise<number> {
  const block = Buffer.alloc(2 ** 20, 'x')
  return new Promise((resolve, reject) => {
    let received = 0
    let started = 0
    const server = createServer((socket) => {
      socket.on('data', (data: Buffer) => {
        received += data.length
        if (received < bytes) return
        const ms = performance.now() - started
        socket.destroy()
        server.close()
        resolve(ms)
      })
    })
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      const client = connect(port, '127.0.0.1', () => {
        started = performance.now()
        let left = bytes
        const write = (): void => {
          while (left > 0) {
            const n = Math.min(left, block.length)
            left -= n
            if (!client.write(n === block.length ? block : block.subarray(0, n))) {
              client.once('drain', write)
              return
            }
          }
          client.end()
        }
        write()
      })
      client.on('error', reject)
    })
  })
}

const VIEWS: InboxView[] = ['all', 'mine', 'unassigned']
const STATUSES = [undefined, 'open', 'pending', 'resolved'] as const

const rpc = serveParent(
  {
    /**
     * Creates the core on an empty (or existing) cache and waits until it has caught up with
     * `targetCursor`; with `stopAtCursor`, only until its cursor reaches that, leaving the sync
     * running (for `kill`). `messagesBefore`: what the cache held before it began.
     */
    async sync(args: { dataDir: string; serverUrl: string; token: string; targetCursor: number; timeoutMs: number; cacheKey?: string; stopAtCursor?: number }) {
      dataDir = args.dataDir
      cacheKey = args.cacheKey ? Buffer.from(args.cacheKey, 'hex') : undefined
      const messagesBefore = existsSync(join(dataDir, CACHE_FILE)) ? countMessages() : 0
      const started = performance.now()
      const cpuAtStart = process.cpuUsage()
      core = await createCore({ dataDir: args.dataDir, serverUrl: args.serverUrl, token: args.token, ...(cacheKey ? { cacheKey } : {}) })
      core.subscribe((message) => {
        if (message.event === 'sync.state') {
          lastState = message.payload as SyncState
          for (const wake of [...stateWaiters]) wake()
          return
        }
        const at = epochNow()
        changedAt.push(performance.now())
        if (watching) rpc.emit('changed', { at, ...(message.payload as object) })
      })
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`sync did not reach cursor ${args.targetCursor} within ${args.timeoutMs} ms (state ${JSON.stringify(lastState)})`)), args.timeoutMs)
        const check = () => {
          const reached =
            args.stopAtCursor === undefined
              ? lastState?.status === 'online' && lastState.cursor >= args.targetCursor
              : (lastState?.cursor ?? 0) >= args.stopAtCursor
          if (reached) {
            clearTimeout(timer)
            stateWaiters.delete(check)
            resolve()
          }
        }
        stateWaiters.add(check)
        check()
      })
      const ms = performance.now() - started
      if (args.stopAtCursor !== undefined) return { ms, cursor: lastState?.cursor ?? 0, messagesBefore }
      // This process's own CPU time: what the cache costs, less exposed than wall time to what else the machine runs.
      const cpu = process.cpuUsage(cpuAtStart)
      const cpuMs = (cpu.user + cpu.system) / 1000
      // A sync whose closing index build failed still reaches the cursor (the next open builds
      // them): its time would leave the build out.
      const check = readCache()
      try {
        if (bulkLoadPending(check)) throw new Error('the sync reached the cursor with its index build still pending')
      } finally {
        check.close()
      }
      // Gaps between consecutive batch commits: how long one pull batch takes end to end.
      const gaps = changedAt.slice(1).map((t, i) => t - changedAt[i]!)
      // The peak too: the index build at the end of an initial sync sorts whole tables, and an
      // encrypted cache sorts in memory.
      const peakRss = process.resourceUsage().maxRSS * 1024
      return { ms, cpuMs, batches: changedAt.length, batchGaps: summarize(gaps), rss: process.memoryUsage().rss, peakRss, messagesBefore }
    },

    /** Ends this process at once, mid-sync, as a crash or a forced quit does. */
    kill() {
      process.kill(process.pid, 'SIGKILL')
    },

    /** Bytes on disk per table and index of the cache (SQLite's dbstat), largest first. */
    cacheBytes() {
      const raw = readCache()
      try {
        return raw.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC').all() as { name: string; bytes: number }[]
      } finally {
        raw.close()
      }
    },

    /** Core reads through `handle` (validation, query, JSON) and the same SQL on a raw connection. */
    async reads(args: { heavyCustomerId: string; customerIds: string[]; samples: number }) {
      if (!core) throw new Error('sync first')
      const c = core
      const raw = readCache()
      try {
        const userId = (raw.prepare('SELECT user_id FROM sync_meta WHERE id = 1').get() as { user_id: string | null } | undefined)?.user_id ?? null
        const timelineParams = (customerId: string) => ({ customerId, limit: 100, beforeAt: Number.MAX_SAFE_INTEGER, beforeId: '' })
        const rawTimeline = raw.prepare(TIMELINE_SQL)
        const heavyTimeline = await timeEach(args.samples, () => c.handle('customer.timeline', { customerId: args.heavyCustomerId, limit: 100 }))
        const heavyTimelineRaw = await timeEach(args.samples, () => rawTimeline.all(timelineParams(args.heavyCustomerId)))
        const pick = (i: number) => args.customerIds[i % args.customerIds.length]!
        const anyTimeline = await timeEach(args.samples, (i) => c.handle('customer.timeline', { customerId: pick(i), limit: 100 }))
        const anyTimelineRaw = await timeEach(args.samples, (i) => rawTimeline.all(timelineParams(pick(i))))

        // The summary card: the first open of a customer the server has no story for writes one on
        // this device (once); every later open reads it with its staleness.
        let summaries: { heavyFirst: number; localFirst: Summary; card: Summary } | null = null
        if (IPC_METHODS.includes('summaries.ofCustomer' as never)) {
          const started = performance.now()
          await c.handle('summaries.ofCustomer', { customerId: args.heavyCustomerId })
          const heavyFirst = performance.now() - started
          const localFirst = await timeEach(args.customerIds.length, (i) => c.handle('summaries.ofCustomer', { customerId: pick(i) }), 0)
          const card = await timeEach(args.samples, (i) => c.handle('summaries.ofCustomer', { customerId: i % 2 ? args.heavyCustomerId : pick(i) }))
          summaries = { heavyFirst, localFirst: summarize(localFirst), card: summarize(card) }
        }

        const combos = VIEWS.flatMap((view) => STATUSES.map((status) => ({ view, status })))
        const perCombo = Math.max(5, Math.ceil(args.samples / combos.length))
        const inbox: number[] = []
        const inboxRaw: number[] = []
        const inboxByView: Record<string, Summary> = {}
        for (const combo of combos) {
          const args2 = { view: combo.view, limit: 200, ...(combo.status ? { status: combo.status } : {}) }
          const ours = await timeEach(perCombo, () => c.handle('inbox.list', args2))
          const sql = raw.prepare(inboxListSql({ view: combo.view, hasStatus: combo.status !== undefined }))
          const params: Record<string, unknown> = { limit: 200 }
          if (combo.view === 'mine') params.userId = userId
          if (combo.status) params.status = combo.status
          const theirs = await timeEach(perCombo, () => sql.all(params))
          inbox.push(...ours)
          inboxRaw.push(...theirs)
          inboxByView[`${combo.view}/${combo.status ?? 'any'}`] = summarize(ours)
        }
        // The sidebar's per-view counts refresh with the list on every change.
        let counts: Summary | null = null
        if (IPC_METHODS.includes('inbox.counts' as never)) {
          counts = summarize(await timeEach(args.samples, (i) => c.handle('inbox.counts', STATUSES[i % STATUSES.length] ? { status: STATUSES[i % STATUSES.length] } : {})))
        }
        return {
          counts,
          summaries,
          heavyTimeline: summarize(heavyTimeline),
          heavyTimelineRaw: summarize(heavyTimelineRaw),
          anyTimeline: summarize(anyTimeline),
          anyTimelineRaw: summarize(anyTimelineRaw),
          inbox: summarize(inbox),
          inboxRaw: summarize(inboxRaw),
          inboxByView,
          rss: process.memoryUsage().rss,
        }
      } finally {
        raw.close()
      }
    },

    /**
     * Supervisors' dashboards through the core: a report over the range, drill-downs of its
     * figures, and the live queues with the conversations behind one of their numbers.
     */
    async dashboards(args: { from: number; to: number; timeZone: string; samples: number }) {
      if (!core) throw new Error('sync first')
      const c = core
      const query = { from: args.from, to: args.to, timeZone: args.timeZone }
      // Right after the sync the events are still in the cache alone: the first report reads them into memory.
      const firstStarted = performance.now()
      await c.handle('reports.report', query)
      const firstReportMs = performance.now() - firstStarted
      // Alternately a minute apart: the core keeps the last report for its drill-downs, and each sample must compute one.
      const shifted = { ...query, from: query.from + 60_000 }
      const report = await timeEach(args.samples, (i) => c.handle('reports.report', i % 2 === 0 ? shifted : query))
      const { report: figures } = (await c.handle('reports.report', query)) as { report: { created: number; resolved: number } }
      const keys = ['created', 'resolved', 'firstResponse', 'fcr']
      // Each sample another figure: the core keeps only the list last opened, for its pages and sorts.
      const drill = await timeEach(args.samples, (i) => c.handle('reports.drill', { query, key: keys[i % keys.length]! }))
      const drillByMeasure = await timeEach(args.samples, (i) =>
        c.handle('reports.drill', { query, key: keys[i % keys.length]!, sort: { field: 'firstResponseCalendarMs', descending: true } }),
      )
      const sortedBy = (field: 'customerName' | 'subject' | 'status') =>
        timeEach(args.samples, (i) => c.handle('reports.drill', { query, key: keys[i % keys.length]!, sort: { field } }))
      const drillByName = await sortedBy('customerName')
      const drillBySubject = await sortedBy('subject')
      const drillByStatus = await sortedBy('status')
      const live = await timeEach(args.samples, () => c.handle('reports.live', {}))
      const liveDrill = await timeEach(args.samples, () => c.handle('reports.liveDrill', { dimension: 'all', state: 'open' }))
      const open = ((await c.handle('reports.liveDrill', { dimension: 'all', state: 'open', limit: 1 })) as { total: number }).total
      const liveDrillLast = await timeEach(args.samples, () => c.handle('reports.liveDrill', { dimension: 'all', state: 'open', offset: Math.max(0, open - 100) }))
      const raw = readCache()
      try {
        const count = (sql: string, ...params: number[]) => raw.prepare(sql).pluck().get(...params) as number
        return {
          firstReportMs,
          report: summarize(report),
          drill: summarize(drill),
          drillByMeasure: summarize(drillByMeasure),
          drillByName: summarize(drillByName),
          drillBySubject: summarize(drillBySubject),
          drillByStatus: summarize(drillByStatus),
          live: summarize(live),
          liveDrill: summarize(liveDrill),
          liveDrillLast: summarize(liveDrillLast),
          open,
          created: figures.created,
          resolved: figures.resolved,
          // Rows and the blocks a first sync kept (core/db/event-blocks.ts).
          eventsInRange:
            count('SELECT count(*) FROM reporting_events WHERE at >= ? AND at < ?', args.from, args.to) +
            [...eventBlocksAfter(raw, 0)].reduce((n, block) => n + block.events.at.filter((at) => at >= args.from && at < args.to).length, 0),
          events: count('SELECT (SELECT count(*) FROM reporting_events) + (SELECT coalesce(sum(count), 0) FROM reporting_event_blocks)'),
          blockBytesPerEvent: count('SELECT coalesce(sum(length(bytes)) * 1.0 / sum(count), 0) FROM reporting_event_blocks'),
          conversations: count('SELECT count(*) FROM conversations'),
        }
      } finally {
        raw.close()
      }
    },

    /**
     * Resolve then reopen through the core's `conversation.setStatus` (cache write, outbox
     * entry, the conversation's messages re-tagged in the search index), an open
     * conversation of each sampled customer.
     */
    async triage(args: { customerIds: string[]; samples: number }) {
      if (!core) throw new Error('sync first')
      const c = core
      const raw = readCache()
      const latest = raw.prepare("SELECT id FROM conversations WHERE customer_id = ? AND status = 'open' ORDER BY last_message_at DESC LIMIT 1").pluck()
      const ids = args.customerIds.map((id) => latest.get(id) as string | undefined).filter((id): id is string => id !== undefined)
      raw.close()
      if (ids.length === 0) throw new Error('no conversations to triage')
      // Pairs of resolve and reopen leave every conversation open, as the agent found it.
      const n = args.samples - (args.samples % 2)
      const times = await timeEach(n, (i) =>
        c.handle('conversation.setStatus', { conversationId: ids[Math.floor(i / 2) % ids.length]!, status: i % 2 === 0 ? 'resolved' : 'open' }),
      )
      return summarize(times)
    },

    /**
     * One bulk step over `size` conversations through `conversations.bulk`, then its undo, in
     * turns: a status change (cache, outbox, and every message of each re-tagged in the search
     * index, in one transaction) and a priority change. Pending is the status asked for, so that
     * every conversation of the step changes whatever the dataset's mix of statuses; the undo
     * puts each back to its own. Each step waits for the server to take the previous one.
     */
    async bulk(args: { size: number; samples: number }) {
      if (!core) throw new Error('sync first')
      const c = core
      const raw = readCache()
      const ids = raw
        .prepare("SELECT id FROM conversations WHERE status <> 'pending' ORDER BY last_message_at DESC, id DESC LIMIT ?")
        .pluck()
        .all(args.size) as string[]
      raw.close()
      if (ids.length === 0) throw new Error('no conversations for a bulk step')
      const drained = () =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`the outbox did not drain (state ${JSON.stringify(lastState)})`)), 60_000)
          const check = () => {
            if (lastState && lastState.pending === 0) {
              clearTimeout(timer)
              stateWaiters.delete(check)
              resolve()
            }
          }
          stateWaiters.add(check)
          check()
        })
      const times = { status: [] as number[], priority: [] as number[], undo: [] as number[] }
      let changed = 0
      const timed = async <T>(into: number[], fn: () => Promise<T>): Promise<T> => {
        const t = performance.now()
        const result = await fn()
        into.push(performance.now() - t)
        await drained()
        return result
      }
      for (let i = 0; i < args.samples; i++) {
        const status = await timed(times.status, () =>
          c.handle('conversations.bulk', { conversationIds: ids, action: { kind: 'setStatus', status: 'pending' } }) as Promise<{ bulkId: string; changed: number }>,
        )
        changed = status.changed
        await timed(times.undo, () => c.handle('conversations.bulkUndo', { bulkId: status.bulkId }))
        const urgent = await timed(times.priority, () =>
          c.handle('conversations.bulk', { conversationIds: ids, action: { kind: 'setPriority', priority: 'urgent' } }) as Promise<{ bulkId: string }>,
        )
        await timed(times.undo, () => c.handle('conversations.bulkUndo', { bulkId: urgent.bulkId }))
      }
      return { conversations: changed, status: summarize(times.status), priority: summarize(times.priority), undo: summarize(times.undo) }
    },

    /**
     * The sidebar's saved views: ten views saved through `views.save` (filters of every kind,
     * indexed columns and json alike), then `views.counts` timed, which counts every one of them
     * over the whole cache each time the inbox changes.
     */
    async viewCounts(args: { samples: number }) {
      if (!core) throw new Error('sync first')
      const c = core
      const raw = readCache()
      const team = (raw.prepare('SELECT team FROM conversations WHERE team IS NOT NULL LIMIT 1').pluck().get() as string | undefined) ?? 'Support'
      const inbox = (raw.prepare('SELECT inbox FROM conversations LIMIT 1').pluck().get() as string | undefined) ?? 'Support email'
      raw.close()
      const views: ViewFilters[] = [
        { status: ['open'], priorities: ['urgent'], waitingMinutes: 30 },
        { status: ['open'], assignee: 'me' },
        { status: ['open', 'pending'], assignee: 'unassigned' },
        { labels: ['refund', 'vip'] },
        { channels: ['sms', 'whatsapp'], status: ['pending'] },
        { teams: [team], priorities: ['high', 'urgent'] },
        { inboxes: [inbox], status: ['open'] },
        { waitingMinutes: 60 },
        { channels: ['email', 'chat'], status: ['open', 'snoozed'] },
        { priorities: ['low'], status: ['resolved'] },
      ]
      for (const [i, filters] of views.entries()) await c.handle('views.save', { name: `Bench view ${i + 1}`, team: null, filters })
      const counted = (await c.handle('views.counts', {})) as Record<string, number>
      const times = await timeEach(args.samples, () => c.handle('views.counts', {}))
      return { views: Object.keys(counted).length, matched: Object.values(counted).reduce((a, b) => a + b, 0), summary: summarize(times) }
    },

    /**
     * The SQLite limit for the initial sync: every synced row re-inserted into a fresh cache
     * of the same schema with plain prepared statements, 500 rows per transaction (the
     * core's pull batch), parsing and re-serializing each row's JSON as the sync does.
     */
    /**
     * The fastest way this machine fills the same final cache: every row of the synced cache
     * copied as it is into a fresh one with the same schema, in large transactions, without the
     * secondary and full-text indexes, which are then built once (the bulk load's own build).
     * Then the time to move as many bytes as the rows take as JSON over loopback TCP. In a
     * process of its own: its index build's memory is not the core's.
     */
    async rawInsert(args: { dataDir: string; cacheKey?: string }) {
      dataDir = args.dataDir
      cacheKey = args.cacheKey ? Buffer.from(args.cacheKey, 'hex') : undefined
      const target = mkdtempSync(join(tmpdir(), 'threadline-bench-raw-'))
      const source = readCache()
      const db = openCache(target, 'http://bench.invalid', { cacheKey })
      let rows = 0
      let messages = 0
      let bytes = 0
      try {
        const started = performance.now()
        beginBulkLoad(db)
        for (const table of ENTITY_TABLES) {
          const columns = (source.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name)
          const insert = db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`)
          const read = source.prepare(`SELECT rowid, ${columns.join(', ')} FROM ${table} WHERE rowid > ? ORDER BY rowid LIMIT ${RAW_CHUNK}`).raw()
          const batch = db.transaction((chunk: unknown[][]) => {
            for (const r of chunk) insert.run(r.slice(1) as never[])
          })
          let after = 0
          for (;;) {
            const chunk = read.all(after) as unknown[][]
            if (chunk.length === 0) break
            after = chunk.at(-1)![0] as number
            batch(chunk)
            rows += chunk.length
            if (table === 'messages') messages += chunk.length
          }
        }
        const filled = performance.now()
        finishBulkLoad(db)
        const ms = performance.now() - started
        // Counted after the timed part, and not kept: a gigabyte at full size.
        for (const table of ENTITY_TABLES) {
          for (const row of source.prepare(`SELECT * FROM ${table}`).raw().iterate()) bytes += Buffer.byteLength(JSON.stringify(row))
        }
        const loopbackMs = await sendOverLoopback(bytes)
        return { ms, fillMs: filled - started, indexMs: ms - (filled - started), rows, messages, bytes, loopbackMs }
      } finally {
        db.close()
        source.close()
        rmSync(target, { recursive: true, force: true })
      }
    },

    /**
     * Local full-text search through the core's `search.query`, over a grid of filter
     * combinations; null when this core has no search method yet.
     */
    async search(args: { texts: string[]; userId: string | null; historyEnd: number }) {
      if (!core) throw new Error('sync first')
      if (!IPC_METHODS.includes('search.query' as never)) return null
      const c = core
      const DAY = 86_400_000
      const kinds = [undefined, ['message'], ['note'], ['customer']]
      const channels = [undefined, 'email', 'chat']
      const statuses = [undefined, 'open', 'resolved']
      const assignees = [undefined, null, args.userId]
      const ranges = [undefined, { from: args.historyEnd - 30 * DAY, to: args.historyEnd + DAY }]
      const all: number[] = []
      const worst: { ms: number; query: unknown }[] = []
      let hits = 0
      for (const text of args.texts) {
        for (const k of kinds) for (const channel of channels) for (const status of statuses) for (const assigneeId of assignees) for (const range of ranges) {
          const query = {
            text,
            ...(k ? { kinds: k } : {}),
            ...(channel ? { channel } : {}),
            ...(status ? { status } : {}),
            ...(assigneeId !== undefined ? { assigneeId } : {}),
            ...(range ?? {}),
            limit: 50,
          }
          const t = performance.now()
          const result = (await c.handle('search.query', query)) as unknown[]
          const ms = performance.now() - t
          hits += result.length
          all.push(ms)
          worst.push({ ms, query })
        }
      }
      worst.sort((a, b) => b.ms - a.ms)
      return { summary: summarize(all), worst: worst.slice(0, 5), hits }
    },

    /** From now on, every `data.changed` is sent to the parent with its epoch time. */
    watch(on: boolean) {
      watching = on
      return null
    },

    memory() {
      return process.memoryUsage()
    },

    async session() {
      if (!core) throw new Error('sync first')
      const session = (await core.handle('session.get', {})) as { user: { id: string } | null }
      return { userId: session.user?.id ?? null }
    },
  },
  async () => {
    await core?.close()
    core = null
  },
)

process.on('unhandledRejection', (err) => {
  console.error('core-client:', err)
})
export {}
