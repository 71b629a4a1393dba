import { closeSync, openSync, readSync } from 'node:fs'
import type { Database } from 'better-sqlite3'

/** A cache key is 32 random bytes, used as the AES-256 key itself (no passphrase to stretch). */
export const CACHE_KEY_BYTES = 32

/** The cache exists but cannot be read with the key given (or with none). */
export class CacheKeyError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CacheKeyError'
  }
}

const PLAIN_HEADER = Buffer.from('SQLite format 3\0', 'latin1')

/** What the first bytes of a cache file say: an unencrypted SQLite file starts with its magic string. */
export function cacheFileState(file: string): 'new' | 'plain' | 'encrypted' {
  const head = Buffer.alloc(PLAIN_HEADER.length)
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'new'
    throw err
  }
  let read: number
  try {
    read = readSync(fd, head, 0, head.length, 0)
  } finally {
    closeSync(fd)
  }
  if (read === 0) return 'new'
  return read === head.length && head.equals(PLAIN_HEADER) ? 'plain' : 'encrypted'
}

/**
 * Unlocks the cache on a connection that has not read `file` yet, encrypting a plain cache in
 * place first (once: afterwards it is no longer plain). Without a key, a plain cache stays plain.
 * Returns true when it encrypted a plain cache.
 *
 * The format is SQLCipher 4's (AES-256-CBC, HMAC-SHA512 per page), so the file can be inspected
 * with SQLCipher's own tools given the key.
 */
export function unlockCache(db: Database, file: string, key: Uint8Array | null): boolean {
  const state = cacheFileState(file)
  if (!key) {
    if (state === 'encrypted') throw new CacheKeyError('the cache is encrypted and no key was given for it')
    return false
  }
  if (key.length !== CACHE_KEY_BYTES) throw new Error(`a cache key is ${CACHE_KEY_BYTES} bytes, got ${key.length}`)
  // A plain better-sqlite3 build ignores every cipher pragma and would write the cache in the
  // clear without a word: refuse instead. The multiple-ciphers build names its default cipher.
  if (typeof db.pragma('cipher', { simple: true }) !== 'string') {
    throw new Error('this SQLite build cannot encrypt the cache (better-sqlite3 must resolve to better-sqlite3-multiple-ciphers)')
  }
  // The cipher is a per-connection setting, not stored in the file: it must be chosen on every open.
  db.pragma(`cipher = 'sqlcipher'`)
  db.pragma('legacy = 4')
  // "raw:" hands the bytes over as the key itself; a passphrase would go through 256,000 rounds of PBKDF2.
  const raw = `raw:${Buffer.from(key).toString('hex')}`
  let migrated = false
  if (state === 'plain') {
    // Rekeying rewrites every page and is refused in WAL mode; leaving WAL first also folds
    // whatever plain pages the WAL still holds into the file being encrypted.
    db.pragma('journal_mode = DELETE')
    db.pragma(`rekey = '${raw}'`)
    migrated = true
  } else {
    db.pragma(`key = '${raw}'`)
  }
  // A wrong key is noticed only when a page is read: read one now.
  try {
    db.prepare('SELECT count(*) FROM sqlite_schema').get()
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_NOTADB') throw new CacheKeyError('the cache cannot be read with its key')
    throw err
  }
  return migrated
}
