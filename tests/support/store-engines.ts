import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { Store } from '../../src/server/store/store'
import { openSqliteStore } from '../../src/server/store/sqlite/sqlite-store'
import { openPostgresStore } from '../../src/server/store/postgres/postgres-store'
import { createTestDatabase, snapshotDatabase, type DatabaseSnapshot, type TestDatabase } from './postgres'

/**
 * The database engines the store runs on, for suites that run the same tests against each.
 * Per file: `setup()` in beforeAll, `fresh()` in beforeEach, `cleanUp()` in afterEach and
 * `teardown()` in afterAll. Every test starts from an empty, migrated database.
 */
export interface StoreEngine {
  name: 'sqlite' | 'postgres'
  setup(): Promise<void>
  /** Before each test: an empty database (for SQLite a new file, for PostgreSQL the file's one database emptied). */
  fresh(): Promise<void>
  /** A store on the test's database; every call opens another one, as another server (or the CLI) would. */
  open(): Promise<Store>
  /** Where the test's database is: the SQLite file or the PostgreSQL URL. */
  location(): string
  /** Rows of a query run on the test's database directly, for what the store's interface does not show. */
  query(sql: string): Promise<Record<string, unknown>[]>
  /**
   * Whether several stores on one database may write at once in this process. SQLite's busy
   * wait blocks the thread, so a second store writing in the same thread waits for a lock that
   * cannot be released: its writers run in processes of their own.
   */
  concurrentWritersInProcess: boolean
  /** A database of its own, never opened yet (no schema): for tests of what happens when stores first open it. */
  newDatabase(): Promise<{ open(): Promise<Store>; drop(): Promise<void> }>
  /** After each test: closes the stores it left open. */
  cleanUp(): Promise<void>
  teardown(): Promise<void>
}

/** Opens stores and remembers the ones still open, so a failed test leaves none behind. */
class OpenStores {
  private readonly open = new Set<Store>()

  track(store: Store): Store {
    const close = store.close.bind(store)
    this.open.add(store)
    store.close = async () => {
      if (!this.open.delete(store)) return
      await close()
    }
    return store
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.open].map((s) => s.close()))
  }
}

function sqliteEngine(): StoreEngine {
  const stores = new OpenStores()
  let dir: string | null = null
  let file = ''
  return {
    name: 'sqlite',
    concurrentWritersInProcess: false,
    async setup() {},
    async fresh() {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-store-'))
      file = path.join(dir, 'server.sqlite')
    },
    async open() {
      return stores.track(openSqliteStore(file))
    },
    location: () => file,
    async newDatabase() {
      const own = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-store-'))
      return {
        open: async () => stores.track(openSqliteStore(path.join(own, 'server.sqlite'))),
        drop: async () => fs.rmSync(own, { recursive: true, force: true }),
      }
    },
    async query(sql) {
      const db = new Database(file, { readonly: true })
      try {
        return db.prepare(sql).all() as Record<string, unknown>[]
      } finally {
        db.close()
      }
    },
    async cleanUp() {
      await stores.closeAll()
      if (dir) fs.rmSync(dir, { recursive: true, force: true })
      dir = null
    },
    async teardown() {},
  }
}

function postgresEngine(): StoreEngine {
  const stores = new OpenStores()
  let db: TestDatabase | null = null
  let snapshot: DatabaseSnapshot | null = null
  /** Why setup failed (PostgreSQL unreachable, say): every test fails with it, none is skipped. */
  let setupError: unknown = null
  const current = (): { db: TestDatabase; snapshot: DatabaseSnapshot } => {
    if (setupError) throw setupError
    if (!db || !snapshot) throw new Error('the PostgreSQL test database is not set up: call setup() in beforeAll')
    return { db, snapshot }
  }
  return {
    name: 'postgres',
    concurrentWritersInProcess: true,
    async setup() {
      try {
        db = await createTestDatabase()
        // The first store migrates the database; every test starts from that state.
        await (await openPostgresStore(db.url)).close()
        snapshot = await snapshotDatabase(db.url)
      } catch (err) {
        // A failed beforeAll would leave the tests merely skipped: each fails with the reason instead.
        setupError = err
      }
    },
    async fresh() {
      await current().snapshot.restore()
    },
    async open() {
      return stores.track(await openPostgresStore(current().db.url))
    },
    location: () => current().db.url,
    async newDatabase() {
      const own = await createTestDatabase()
      return { open: async () => stores.track(await openPostgresStore(own.url)), drop: () => own.drop() }
    },
    query: (sql) => current().snapshot.query(sql),
    async cleanUp() {
      await stores.closeAll()
    },
    async teardown() {
      await stores.closeAll()
      await snapshot?.close()
      await db?.drop()
      snapshot = null
      db = null
    },
  }
}

/** One of each engine, for `describe.each(storeEngines())`. */
export function storeEngines(): StoreEngine[] {
  return [sqliteEngine(), postgresEngine()]
}
