import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Core } from '../../src/core/core'
import BetterSqlite3 from 'better-sqlite3'
import { createCore } from '../../src/core/index'
import { bulkLoadPending } from '../../src/core/db/bulk-load'
import { CACHE_FILE, openCache } from '../../src/core/db/open'
import { SyncEngine } from '../../src/core/sync/engine'
import type { Message } from '../../src/shared/domain'
import { seedDemo } from '../../src/server/demo/seed'
import type { SyncServer } from '../../src/server/server'
import {
  agentWithToken,
  materialize,
  pullChangeLog,
  readCache,
  readCursor,
  startTestServer,
  tempDir,
  waitFor,
  waitForQuietServer,
  waitUntilSynced,
} from './support/sync-harness'

const CHILD = fileURLToPath(new URL('./support/core-child.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

let dir: ReturnType<typeof tempDir>
let server: SyncServer
let child: ChildProcess | null = null
let core: Core | null = null
let stopped = false

beforeEach(async () => {
  dir = tempDir()
  server = await startTestServer(join(dir.path, 'server.sqlite'))
})

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  child = null
  await core?.close()
  core = null
  if (!stopped) await server.close()
  stopped = false
  dir.remove()
})

function exited(proc: ChildProcess): Promise<NodeJS.Signals | number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.signalCode ?? proc.exitCode)
  return new Promise((resolve) => proc.once('exit', (code, signal) => resolve(signal ?? code)))
}

/** Starts a first sync in a child process and kills it with SIGKILL once `landed` says enough has. */
async function killMidSync(landed: (dataDir: string) => boolean = (d) => readCursor(d) > 0): Promise<{ token: string; total: number; dataDir: string }> {
  // The agent exists before the history, so its own row is among the first changes.
  const agent = await agentWithToken(server, 'Kim Killed')
  await seedDemo(server, { seed: 5, customers: 60, conversationsPerCustomer: 3, messagesPerConversation: 4, now: Date.UTC(2025, 0, 15) })
  // Outbound delivery reports keep landing for a moment after the seed.
  const total = await waitForQuietServer(server)
  expect(total).toBeGreaterThan(1_000)
  const dataDir = join(dir.path, 'client')

  let stderr = ''
  child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, server.url, agent.token, '5'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  child.stdout?.resume()

  await waitFor(
    'the child to land its first batch',
    () => {
      if (child?.exitCode !== null) throw new Error(`the child exited early: ${stderr}`)
      return landed(dataDir)
    },
    30_000,
    1,
  )
  child.kill('SIGKILL')
  expect(await exited(child)).toBe('SIGKILL')
  return { token: agent.token, total, dataDir }
}

/** What `read` finds in the cache, opened read-only from outside the core. */
function fromOutside<T>(dataDir: string, read: (db: BetterSqlite3.Database) => T): T {
  const db = new BetterSqlite3(join(dataDir, CACHE_FILE), { readonly: true, fileMustExist: true })
  try {
    return read(db)
  } finally {
    db.close()
  }
}

/** Whether the cache has messages yet. */
const holdsMessages = (dataDir: string): boolean =>
  readCursor(dataDir) > 0 && fromOutside(dataDir, (db) => db.prepare('SELECT 1 FROM messages LIMIT 1').get() !== undefined)

/** Whether the cache's first fill is still without its indexes. */
const fillPending = (dataDir: string): boolean => fromOutside(dataDir, bulkLoadPending)

/** The text of a message the cache holds. */
function aMessageText(state: ReturnType<typeof readCache>['server']): string {
  const text = [...state.entries()].filter(([key]) => key.startsWith('message:')).map(([, m]) => (m as Message).text)[0]
  expect(text).toBeTruthy()
  return text!
}

describe('a client process killed with SIGKILL while applying batches', () => {
  it('leaves cache and cursor consistent, and a restarted core finishes the sync', async () => {
    const { token, total, dataDir } = await killMidSync()
    const log = await pullChangeLog(server.url, token)
    // What a client's catch-up is sent: the latest change of each row.
    const sent = await pullChangeLog(server.url, token, 2_000, true)
    expect(sent.length).toBeLessThan(log.length)
    const afterKill = readCache(dataDir)
    // Really mid-sync: some batches landed, most did not.
    expect(afterKill.cursor).toBeGreaterThan(0)
    expect(afterKill.cursor).toBeLessThan(total)
    // Every change sent up to the cursor is in the cache, and nothing after it.
    const expected = materialize(sent, afterKill.cursor)
    expect(afterKill.server).toEqual(expected)
    expect(afterKill.current).toEqual(expected)
    // The first fill was cut short without its indexes, and stays so until the sync goes on.
    expect(fillPending(dataDir)).toBe(true)

    core = await createCore({ dataDir, serverUrl: server.url, token, batchSize: 200 })
    await waitUntilSynced(core, server, 60_000)
    const finished = readCache(dataDir)
    expect(finished.cursor).toBe(total)
    expect(finished.server).toEqual(materialize(log))
    expect(finished.current).toEqual(materialize(log))
    expect(fillPending(dataDir)).toBe(false)
    expect(await core.handle('search.query', { text: firstWord(aMessageText(finished.server)) })).not.toEqual([])
  })

  it('indexes what a cut-short first sync holds when the server stays out of reach, for reading and searching offline', async () => {
    const { token, total, dataDir } = await killMidSync(holdsMessages)
    const held = readCache(dataDir)
    expect(held.cursor).toBeLessThan(total)
    const text = aMessageText(held.server)
    const url = server.url
    await server.close()
    stopped = true

    const db = openCache(dataDir, url)
    const changed: string[][] = []
    const engine = new SyncEngine({
      db,
      serverUrl: url,
      token,
      batchSize: 200,
      offlineIndexAfterMs: 300,
      onState: () => undefined,
      onChanged: (touched) => changed.push(touched.entities),
    })
    try {
      expect(bulkLoadPending(db)).toBe(true)
      engine.start()
      await waitFor('the indexes built while offline', () => !bulkLoadPending(db), 30_000)
      expect(changed.flat()).toContain('message')
    } finally {
      await engine.close()
      db.close()
    }
    core = await createCore({ dataDir, serverUrl: url, token })
    expect(await core.handle('search.query', { text: firstWord(text) })).not.toEqual([])
  })
})

/** A word of the text that search can look up. */
function firstWord(text: string): string {
  return text.match(/\p{L}{4,}/u)![0]
}
