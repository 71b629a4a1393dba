import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { io } from 'socket.io-client'
import type { EntityName, Role, User } from '../../../src/shared/domain'
import type { SyncState } from '../../../src/shared/ipc'
import { PullResponse, SOCKET_PATH, type Change } from '../../../src/shared/sync'
import type { Core } from '../../../src/core/core'
import { createCore } from '../../../src/core/index'
import { CACHE_FILE } from '../../../src/core/db/open'
import { countOutbox, dumpEntities, getSyncMeta } from '../../../src/core/db/queries'
import { startServer, type ServerConfigInput, type SyncServer } from '../../../src/server/server'

/** Shared set-up of the sync integration tests: real server, real cache files, real sockets. */

export const ENTITIES: EntityName[] = ['user', 'customer', 'identity', 'conversation', 'message', 'note', 'call', 'event']

export function tempDir(prefix = 'threadline-sync-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

/** Starts (or restarts, given the same dbPath and port) a server on loopback. */
export function startTestServer(dbPath: string, port = 0, config: Partial<ServerConfigInput> = {}): Promise<SyncServer> {
  return startServer({ dbPath, host: '127.0.0.1', port, outbound: 'sandbox', logLevel: 'silent', ...config })
}

/** An agent who sees every inbox, with a fresh API token. */
export async function agentWithToken(server: SyncServer, name: string, role: Role = 'agent'): Promise<{ user: User; token: string }> {
  const email = `${name.toLowerCase().replace(/\W+/g, '.')}@example.test`
  const user = (await server.findUserByEmail(email)) ?? (await server.createUser({ name, email, role, inboxes: null }))
  return { user, token: await server.createToken(user.id, 'sync test') }
}

type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>

const POLL_MS = 25

/** Polls until `check` returns a truthy value; fails with `what` and the last value seen. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 30_000, intervalMs = POLL_MS): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs
  let last: T | undefined
  for (;;) {
    last = await check()
    if (last) return last as Truthy<T>
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

export type EntityKey = `${EntityName}:${string}`
export type State = Map<EntityKey, unknown>

/** The server's whole change log, read over a real socket the way clients read it; with `latest`, as a client's catch-up reads it. */
export async function pullChangeLog(url: string, token: string, limit = 2_000, latest = false): Promise<Change[]> {
  const socket = io(url, { path: SOCKET_PATH, auth: { token }, transports: ['websocket'], reconnection: false })
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve())
      socket.once('connect_error', reject)
    })
    const all: Change[] = []
    let after = 0
    for (;;) {
      const res = PullResponse.parse(await socket.timeout(15_000).emitWithAck('pull', { after, limit, latest }))
      all.push(...res.changes)
      after = res.cursor
      if (!res.hasMore) return all
    }
  } finally {
    socket.disconnect()
  }
}

/** The state the change log describes after every change up to `upTo` (inclusive). */
export function materialize(changes: readonly Change[], upTo = Number.MAX_SAFE_INTEGER): State {
  const state: State = new Map()
  for (const change of [...changes].sort((a, b) => a.seq - b.seq)) {
    if (change.seq > upTo) break
    const key: EntityKey = `${change.entity}:${change.id}`
    if (change.op === 'delete') state.delete(key)
    else state.set(key, change.data)
  }
  return state
}

export interface CacheSnapshot {
  cursor: number
  /** Rows as the server last sent them. */
  server: State
  /** Rows as the agent sees them (server rows with queued actions on top). */
  current: State
  outbox: { pending: number; failed: number }
}

/** Reads a cache file from outside the core, like a second process would. */
export function readCache(dataDir: string): CacheSnapshot {
  const db = new BetterSqlite3(join(dataDir, CACHE_FILE), { readonly: true, fileMustExist: true })
  try {
    return db.transaction(() => {
      const server: State = new Map()
      const current: State = new Map()
      for (const entity of ENTITIES) {
        for (const [id, row] of dumpEntities(db, entity)) {
          current.set(`${entity}:${id}`, row.current)
          if (row.server) server.set(`${entity}:${id}`, row.server)
        }
      }
      const outbox = countOutbox(db)
      return { cursor: getSyncMeta(db)?.cursor ?? 0, server, current, outbox }
    })()
  } finally {
    db.close()
  }
}

/** The cursor of a cache file, read without disturbing its writer; 0 until it exists. */
export function readCursor(dataDir: string): number {
  try {
    const db = new BetterSqlite3(join(dataDir, CACHE_FILE), { readonly: true, fileMustExist: true })
    try {
      return (db.prepare('SELECT cursor FROM sync_meta WHERE id = 1').pluck().get() as number | undefined) ?? 0
    } finally {
      db.close()
    }
  } catch {
    return 0
  }
}

export function countByEntity(state: State): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const key of state.keys()) {
    const entity = key.slice(0, key.indexOf(':'))
    counts[entity] = (counts[entity] ?? 0) + 1
  }
  return counts
}

export async function syncState(core: Core): Promise<SyncState> {
  return (await core.handle('sync.state', {})) as SyncState
}

/** Waits until the core has sent everything and holds the server's whole log. */
export async function waitUntilSynced(core: Core, server: SyncServer, timeoutMs = 30_000): Promise<SyncState> {
  return waitFor(
    'the client to catch up with the server',
    async () => {
      const state = await syncState(core)
      const done = state.status === 'online' && state.pending === 0 && state.cursor === (await server.counts()).lastSeq
      return done ? state : false
    },
    timeoutMs,
  )
}

/** Waits for the server's log to stop growing (outbound delivery reports land after commits). */
export async function waitForQuietServer(server: SyncServer, quietMs = 300): Promise<number> {
  let last = (await server.counts()).lastSeq
  let since = Date.now()
  let unchanged = 0
  // Time alone is not enough: a process starved of CPU sees the time pass without running the
  // timers that record what is due (delivery reports). Quiet also takes as many turns of the event
  // loop as the time would have given it.
  const turns = Math.ceil(quietMs / POLL_MS)
  return waitFor('the server to go quiet', async () => {
    const now = (await server.counts()).lastSeq
    if (now !== last) {
      last = now
      since = Date.now()
      unchanged = 0
      return 0
    }
    unchanged++
    return Date.now() - since >= quietMs && unchanged >= turns ? now : 0
  })
}

/**
 * A server and the client cores a test opens against it, in one temp folder: the server's
 * database at `server.sqlite`, each core in a folder of its own name. `close` closes the cores
 * still open, then the server, and removes the folder.
 */
export interface ServerWithCores {
  readonly dir: string
  readonly server: SyncServer
  openCore(name: string, token: string): Promise<Core>
  /** Closes one core (the folder keeps its cache, as an offline laptop does). */
  closeCore(core: Core): Promise<void>
  /** The server's database file and its WAL. */
  serverFiles(): string[]
  /** A core's cache file and its WAL. */
  cacheFiles(name: string): string[]
  close(): Promise<void>
}

export async function startServerWithCores(prefix: string, config: Partial<ServerConfigInput> = {}): Promise<ServerWithCores> {
  const dir = tempDir(prefix)
  const db = join(dir.path, 'server.sqlite')
  const server = await startTestServer(db, 0, config)
  const cores: Core[] = []
  return {
    dir: dir.path,
    server,
    async openCore(name, token) {
      const core = await createCore({ dataDir: join(dir.path, name), serverUrl: server.url, token, batchSize: 50 })
      cores.push(core)
      return core
    },
    async closeCore(core) {
      cores.splice(cores.indexOf(core), 1)
      await core.close()
    },
    serverFiles: () => [db, `${db}-wal`],
    cacheFiles: (name) => [join(dir.path, name, CACHE_FILE), join(dir.path, name, `${CACHE_FILE}-wal`)],
    async close() {
      for (const core of cores.splice(0)) await core.close()
      await server.close()
      dir.remove()
    },
  }
}

/** Where any of `needles` (text, as UTF-8, or bytes as stored) still stands in the files that exist: one `file: needle` per find. */
export function traces(files: readonly string[], needles: readonly (string | Uint8Array)[]): string[] {
  const found: string[] = []
  for (const file of files) {
    if (!existsSync(file)) continue
    const bytes = readFileSync(file)
    for (const needle of needles) {
      const sought = typeof needle === 'string' ? Buffer.from(needle, 'utf8') : Buffer.from(needle)
      if (bytes.includes(sought)) found.push(`${file}: ${typeof needle === 'string' ? needle : `${needle.length} stored bytes`}`)
    }
  }
  return found
}
