import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { committedIds, runWriter } from '../../../tests/support/change-log-writers'
import { storeEngines } from '../../../tests/support/store-engines'
import { systemActor } from '../../shared/actors'
import type { Change } from '../../shared/sync'
import type { Store } from './store'

/**
 * The change log under concurrent writers: several stores write to one database at once (for
 * PostgreSQL separate pools, standing in for separate server nodes; for SQLite separate
 * processes), while readers pull exactly as a client does, following `cursor` and `hasMore`.
 * Every reader must receive every committed change once, with seqs 1..N and no gap: a seq is
 * taken in commit order, so no reader's cursor can pass a change that commits later.
 */

const TRANSACTIONS = 40
const READERS = 3
const PAGE = 5

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

/** SQLite writers in processes of their own: within one thread a second writer's busy wait would block the first. */
async function runWriterProcesses(file: string, writers: readonly number[]): Promise<void> {
  const children = writers.map((writer) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/support/change-log-writer-process.ts', file, String(writer), String(TRANSACTIONS)], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const ready = new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.includes('ready\n')) resolve()
      }),
    )
    const exited = new Promise<void>((resolve, reject) =>
      child.on('exit', (code) => (code === 0 && out.includes('done\n') ? resolve() : reject(new Error(`writer ${writer} exited ${code}: ${err}`)))),
    )
    return { child, ready: Promise.race([ready, exited]), exited }
  })
  try {
    await Promise.all(children.map((c) => c.ready))
    // All open: start them together.
    for (const { child } of children) child.stdin.end('go\n')
    await Promise.all(children.map((c) => c.exited))
  } catch (err) {
    for (const { child } of children) child.kill()
    await Promise.allSettled(children.map((c) => c.exited))
    throw err
  }
}

/** Pulls as a client does until the writers are done and a pull begun after that has nothing more. */
async function read(store: Store, writersDone: () => boolean): Promise<{ changes: Change[]; pullsWhileWriting: number; receivedWhileWriting: number }> {
  const changes: Change[] = []
  let cursor = 0
  let pullsWhileWriting = 0
  let receivedWhileWriting = 0
  for (;;) {
    const finished = writersDone()
    const page = await store.changesAfter(cursor, PAGE, null)
    if (!finished) {
      pullsWhileWriting++
      receivedWhileWriting += page.changes.length
    }
    expect(page.cursor).toBeGreaterThanOrEqual(cursor)
    for (const change of page.changes) {
      expect(change.seq).toBeGreaterThan(cursor)
      expect(change.seq).toBeLessThanOrEqual(page.cursor)
    }
    changes.push(...page.changes)
    cursor = page.cursor
    if (page.hasMore) continue
    if (finished) return { changes, pullsWhileWriting, receivedWhileWriting }
    await new Promise((r) => setTimeout(r, 1))
  }
}

describe.each(storeEngines().map((engine) => [engine.name, engine] as const))('%s: several stores on one database', (_name, engine) => {
  beforeAll(() => engine.setup(), 60_000)
  afterAll(() => engine.teardown(), 60_000)
  beforeEach(() => engine.fresh())
  afterEach(() => engine.cleanUp())

  it('gives every reader every committed change once, seqs 1..N in order with no gap', { timeout: 30_000 }, async () => {
    const writers = engine.concurrentWritersInProcess ? [0, 1, 2, 3, 4, 5] : [0, 1, 2]
    const expected = writers.flatMap((w) => committedIds(w, TRANSACTIONS))
    const readers = await Promise.all(Array.from({ length: READERS }, () => engine.open()))

    let done = false
    const writing = (async () => {
      if (engine.concurrentWritersInProcess) {
        const stores = await Promise.all(writers.map(() => engine.open()))
        await Promise.all(writers.map((w, i) => runWriter(stores[i]!, w, TRANSACTIONS)))
        await Promise.all(stores.map((s) => s.close()))
      } else {
        await runWriterProcesses(engine.location(), writers)
      }
    })().finally(() => (done = true))
    const [results] = await Promise.all([Promise.all(readers.map((r) => read(r, () => done))), writing])

    const n = expected.length
    expect(await readers[0]!.lastSeq()).toBe(n)
    for (const { changes } of results) {
      expect(changes.map((c) => c.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1))
      expect(changes.map((c) => c.id).sort()).toEqual([...expected].sort())
      // Each writer's changes arrive in the order it committed them.
      for (const w of writers) {
        expect(changes.filter((c) => c.id.startsWith(`w${w}-`)).map((c) => c.id)).toEqual(committedIds(w, TRANSACTIONS))
      }
    }
    // The readers really pulled while the writers wrote, not only once at the end.
    for (const { pullsWhileWriting, receivedWhileWriting } of results) {
      expect(pullsWhileWriting).toBeGreaterThan(10)
      expect(receivedWhileWriting).toBeGreaterThan(0)
    }
  })

  it('opens several stores at once on a new database: one migrates it, the others wait and find it done', { timeout: 30_000 }, async () => {
    const fresh = await engine.newDatabase()
    try {
      // Servers starting together, each finding the schema missing.
      const stores = await Promise.all([fresh.open(), fresh.open(), fresh.open(), fresh.open()])
      const c1 = { id: 'c1', name: 'c1', labels: [], attributes: {}, consent: {}, createdAt: 1, updatedAt: 1, lastActivityAt: 1 }
      const { changes } = await stores[0]!.write((w) => w.put('customer', c1), systemActor('test'))
      expect(changes.map((c) => c.seq)).toEqual([1])
      for (const store of stores) expect(await store.lastSeq()).toBe(1)
      await Promise.all(stores.map((s) => s.close()))
      // And a server that opens it later finds it up to date.
      const later = await fresh.open()
      expect((await later.getCustomer('c1'))?.id).toBe('c1')
      await later.close()
    } finally {
      await engine.cleanUp()
      await fresh.drop()
    }
  })
})
