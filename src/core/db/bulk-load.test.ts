import { randomBytes } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { bulkLoadPending, finishBulkLoad } from './bulk-load'
import { unlockCache } from './cipher'
import { newCacheKey } from './key-file'
import { CACHE_FILE, openCache } from './open'

const KILLED_BUILD = join(import.meta.dirname, '../testing/index-build-killed.ts')

/**
 * Where the index build at the end of an initial sync sorts: a plain cache spills its sorts to
 * temporary files, an encrypted one keeps them in memory, since SQLite3 Multiple Ciphers would
 * write them in the clear. A probe in an index expression looks at this process's open files
 * while the sort runs (SQLite unlinks its temporary files at once, so only an open handle shows).
 */

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function sortSpillsToDisk(cacheKey?: Uint8Array): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'threadline-bulk-'))
  dirs.push(dir)
  const db = openCache(dir, null, cacheKey ? { cacheKey } : {})
  try {
    let spilled = false
    let calls = 0
    db.function('probe', { deterministic: true }, (v: unknown) => {
      // Looking at every row's call would make the test slow; every 500th sees the sort grow.
      if (!spilled && ++calls % 500 === 0) {
        spilled = readdirSync('/proc/self/fd').some((fd) => {
          try {
            return readlinkSync(join('/proc/self/fd', fd)).includes('etilqs_')
          } catch {
            return false
          }
        })
      }
      return v
    })
    db.exec('CREATE TABLE probe_rows (v TEXT NOT NULL)')
    const insert = db.prepare('INSERT INTO probe_rows (v) VALUES (?)')
    db.transaction(() => {
      for (let i = 0; i < 20_000; i++) insert.run(randomBytes(48).toString('hex'))
    })()
    // A page cache of a few pages: the sort outgrows its memory after a few hundred rows.
    db.pragma('cache_size = -64')
    db.prepare('INSERT INTO suspended_indexes (name, sql) VALUES (?, ?)').run('probe_index', 'CREATE INDEX probe_index ON probe_rows (probe(v))')
    finishBulkLoad(db)
    return spilled
  } finally {
    db.close()
  }
}

describe('the bulk load’s index build', () => {
  it('sorts a plain cache through temporary files, and keeps an encrypted cache’s sorts off the disk', () => {
    expect(sortSpillsToDisk()).toBe(true)
    expect(sortSpillsToDisk(newCacheKey())).toBe(false)
  }, 60_000)
})

/** Bytes this process has handed to write() so far. */
function bytesWritten(): number {
  const line = readFileSync('/proc/self/io', 'utf8').split('\n').find((l) => l.startsWith('wchar:'))
  return Number(line!.slice('wchar:'.length))
}

function cacheWithRows(cacheKey: Uint8Array): { dir: string; db: Database } {
  const dir = mkdtempSync(join(tmpdir(), 'threadline-bulk-'))
  dirs.push(dir)
  const db = openCache(dir, null, { cacheKey })
  db.exec('CREATE TABLE probe_rows (v TEXT NOT NULL)')
  const insert = db.prepare('INSERT INTO probe_rows (v) VALUES (?)')
  db.transaction(() => {
    for (let i = 0; i < 40_000; i++) insert.run(randomBytes(48).toString('hex'))
  })()
  db.pragma('wal_checkpoint(TRUNCATE)')
  return { dir, db }
}

function suspendIndex(db: Database, name: string, sql: string): void {
  db.prepare('INSERT INTO suspended_indexes (name, sql) VALUES (?, ?)').run(name, sql)
}

describe('the bulk load’s index build, written once', () => {
  it('writes the new index to the file once, not to the WAL and then again to the file, and leaves the cache in WAL mode', () => {
    const { dir, db } = cacheWithRows(newCacheKey())
    suspendIndex(db, 'probe_index', 'CREATE INDEX probe_index ON probe_rows (v)')
    try {
      const before = bytesWritten()
      const sizeBefore = statSync(join(dir, CACHE_FILE)).size
      finishBulkLoad(db)
      const written = bytesWritten() - before
      const grown = statSync(join(dir, CACHE_FILE)).size - sizeBefore
      expect(grown).toBeGreaterThan(2_000_000)
      // Through the WAL this is a little over twice the growth.
      expect(written).toBeLessThan(grown * 1.3)
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'probe_index'").get()).toEqual({ n: 1 })
      expect(bulkLoadPending(db)).toBe(false)
    } finally {
      db.close()
    }
  })

  it('builds through the WAL when another connection has the cache open', () => {
    const key = newCacheKey()
    const { dir, db } = cacheWithRows(key)
    const other = openCache(dir, null, { cacheKey: key })
    suspendIndex(db, 'probe_index', 'CREATE INDEX probe_index ON probe_rows (v)')
    try {
      finishBulkLoad(db)
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(other.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'probe_index'").get()).toEqual({ n: 1 })
      expect(bulkLoadPending(other)).toBe(false)
    } finally {
      other.close()
      db.close()
    }
  })

  it('builds again on the next open after the process was killed midway through the build', () => {
    const key = newCacheKey()
    const { dir, db } = cacheWithRows(key)
    // A second index, built after the first (by name), whose build kills the process: by then the
    // first index's pages have spilled into the file.
    suspendIndex(db, 'probe_index', 'CREATE INDEX probe_index ON probe_rows (v)')
    suspendIndex(db, 'probe_killed', 'CREATE INDEX probe_killed ON probe_rows (kill_midway(v))')
    db.close()
    const child = spawnSync(process.execPath, ['--import', 'tsx', KILLED_BUILD, join(dir, CACHE_FILE), Buffer.from(key).toString('hex'), '20000'], {
      encoding: 'utf8',
    })
    expect(child.signal, child.stderr).toBe('SIGKILL')
    // The build left a hot journal; the first connection to read the cache rolls it back.
    expect(existsSync(join(dir, `${CACHE_FILE}-journal`))).toBe(true)
    const connect = (readonly: boolean): Database => new BetterSqlite3(join(dir, CACHE_FILE), { readonly })
    const raw = connect(false)
    unlockCache(raw, join(dir, CACHE_FILE), key, connect)
    raw.prepare("UPDATE suspended_indexes SET sql = 'CREATE INDEX probe_killed ON probe_rows (v DESC)' WHERE name = 'probe_killed'").run()
    raw.close()
    const reopened = openCache(dir, null, { cacheKey: key })
    try {
      expect(bulkLoadPending(reopened)).toBe(false)
      expect(reopened.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name IN ('probe_index', 'probe_killed')").get()).toEqual({ n: 2 })
      expect(reopened.prepare('SELECT count(*) AS n FROM probe_rows INDEXED BY probe_index').get()).toEqual({ n: 40_000 })
      expect(reopened.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(reopened.pragma('journal_mode', { simple: true })).toBe('wal')
    } finally {
      reopened.close()
    }
  }, 60_000)
})
