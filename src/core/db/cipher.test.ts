import { randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { applyBatch } from '../sync/apply'
import { changes, conversation, customer, message, tempDir } from '../testing/fixtures'
import { CacheKeyError, cacheFileState } from './cipher'
import { CACHE_FILE, openCache, openCacheOrRebuild } from './open'
import { dumpEntities, getSyncMeta } from './queries'

const SERVER = 'http://127.0.0.1:4100'
const SENTENCE = 'Please send the replacement kettle to the Harbour Street address'
const alice = customer('c1', { name: 'Alice Martin' })
const talk = conversation('v1', 'c1', { channel: 'email', lastMessageAt: 100 })

let dir: ReturnType<typeof tempDir>
let file: string

beforeEach(() => {
  dir = tempDir('threadline-cipher-')
  file = join(dir.path, CACHE_FILE)
})
afterEach(() => dir.remove())

function fill(db: ReturnType<typeof openCache>): void {
  applyBatch(db, {
    after: 0,
    cursor: 3,
    changes: changes(1, [
      ['customer', alice],
      ['conversation', talk],
      ['message', message('m1', talk, 100, { text: SENTENCE })],
    ]),
  })
}

describe('cacheFileState', () => {
  it('tells a missing or empty file, a plain SQLite file and anything else apart', () => {
    expect(cacheFileState(file)).toBe('new')
    writeFileSync(file, '')
    expect(cacheFileState(file)).toBe('new')
    openCache(dir.path, SERVER).close()
    expect(cacheFileState(file)).toBe('plain')
    writeFileSync(file, randomBytes(4096))
    expect(cacheFileState(file)).toBe('encrypted')
  })
})

describe('opening the cache with a key', () => {
  it('refuses a key that is not 32 bytes', () => {
    expect(() => openCache(dir.path, SERVER, { cacheKey: randomBytes(16) })).toThrow(/32 bytes/)
  })

  it('an encrypted cache opened without its key or with another one throws CacheKeyError', () => {
    openCache(dir.path, SERVER, { cacheKey: randomBytes(32) }).close()
    expect(cacheFileState(file)).toBe('encrypted')
    expect(() => openCache(dir.path, SERVER)).toThrow(CacheKeyError)
    expect(() => openCache(dir.path, SERVER, { cacheKey: randomBytes(32) })).toThrow(CacheKeyError)
  })

  it('a plain cache whose last writes still sit in its WAL (the app was killed) keeps them when encrypted', () => {
    const live = openCache(dir.path, SERVER)
    fill(live)
    // Copies taken while it is open: the rows are in the WAL, not yet in the main file.
    const crashed = join(dir.path, 'crashed')
    const copy = openCache(crashed, SERVER)
    copy.close()
    copyFileSync(file, join(crashed, CACHE_FILE))
    copyFileSync(`${file}-wal`, join(crashed, `${CACHE_FILE}-wal`))
    live.close()
    expect(readFileSync(join(crashed, `${CACHE_FILE}-wal`)).includes(SENTENCE)).toBe(true)

    const key = randomBytes(32)
    openCache(crashed, SERVER, { cacheKey: key }).close()
    expect(readFileSync(join(crashed, CACHE_FILE)).includes(SENTENCE)).toBe(false)
    const reopened = openCache(crashed, SERVER, { cacheKey: key })
    try {
      expect(dumpEntities(reopened, 'message').get('m1')?.current.text).toBe(SENTENCE)
      expect(reopened.pragma('journal_mode', { simple: true })).toBe('wal')
    } finally {
      reopened.close()
    }
  })

  it('a cache encrypted in the earlier format, with a page HMAC, opens with its key and is rewritten without it, its rows and WAL intact', () => {
    const key = randomBytes(32)
    const raw = `raw:${key.toString('hex')}`
    const live = openCache(dir.path, SERVER)
    fill(live)
    live.close()
    // As an earlier version left it: SQLCipher 4's defaults, and the last writes still in the WAL.
    const earlier = new Database(file)
    earlier.pragma("cipher = 'sqlcipher'")
    earlier.pragma('legacy = 4')
    earlier.pragma('journal_mode = DELETE')
    earlier.pragma(`rekey = '${raw}'`)
    earlier.pragma('journal_mode = WAL')
    earlier.pragma('wal_autocheckpoint = 0')
    earlier.exec(`UPDATE messages SET json = json_set(json, '$.text', 'Written last, before the app was killed') WHERE id = 'm1'`)
    const crashed = join(dir.path, 'crashed')
    openCache(crashed, SERVER).close()
    copyFileSync(file, join(crashed, CACHE_FILE))
    copyFileSync(`${file}-wal`, join(crashed, `${CACHE_FILE}-wal`))
    earlier.close()

    const reopened = openCache(crashed, SERVER, { cacheKey: key })
    try {
      expect(dumpEntities(reopened, 'message').get('m1')?.current.text).toBe('Written last, before the app was killed')
      expect(reopened.pragma('journal_mode', { simple: true })).toBe('wal')
    } finally {
      reopened.close()
    }
    expect(readFileSync(join(crashed, CACHE_FILE)).includes('Alice Martin')).toBe(false)
    const readsWith = (settings: string[]): boolean => {
      const db = new Database(join(crashed, CACHE_FILE))
      try {
        for (const setting of settings) db.pragma(setting)
        db.pragma(`key = '${raw}'`)
        return db.prepare('SELECT count(*) FROM customers').pluck().get() === 1
      } catch {
        return false
      } finally {
        db.close()
      }
    }
    expect(readsWith(["cipher = 'sqlcipher'", 'legacy = 4'])).toBe(false)
    expect(readsWith(["cipher = 'sqlcipher'", 'legacy = 4', 'hmac_use = 0'])).toBe(true)
  })

  it('openCacheOrRebuild replaces a cache its key cannot open with an empty one, and says why', () => {
    const first = openCache(dir.path, SERVER, { cacheKey: randomBytes(32) })
    fill(first)
    first.close()

    const { db, rebuilt } = openCacheOrRebuild(dir.path, SERVER, { cacheKey: randomBytes(32) })
    try {
      expect(rebuilt).toMatch(/cannot be read with its key/)
      expect(dumpEntities(db, 'message').size).toBe(0)
      expect(getSyncMeta(db)?.cursor).toBe(0)
    } finally {
      db.close()
    }
    const { db: again, rebuilt: second } = openCacheOrRebuild(dir.path, SERVER)
    again.close()
    expect(second).toMatch(/no key was given/)
  })
})
