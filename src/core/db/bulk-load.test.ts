import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { finishBulkLoad } from './bulk-load'
import { newCacheKey } from './key-file'
import { openCache } from './open'

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
