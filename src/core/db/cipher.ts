import { closeSync, existsSync, openSync, readSync } from 'node:fs'
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
 * The cache's format: SQLCipher 4's (AES-256-CBC, a random IV per page written), without its
 * per-page HMAC-SHA512, so SQLCipher's own tools read it given the key and `cipher_use_hmac = OFF`.
 * What the encryption is for is a copy of the file read elsewhere (a lost laptop, a backup): the
 * pages are unreadable without the key. A page MAC would add tamper detection against someone who
 * can write the file but not read the key beside it or in the user's keychain, which no attacker
 * of the cache is; computing it took more than half of the encryption's cost (docs/security.md).
 * The cipher is a per-connection setting, not stored in the file: it is chosen on every open.
 */
const CACHE_CIPHER = ["cipher = 'sqlcipher'", 'legacy = 4', 'hmac_use = 0']
/** The format caches were encrypted in before (SQLCipher 4's defaults, HMAC included): read once, to rewrite them in the one above. */
const CACHE_CIPHER_WITH_HMAC = ["cipher = 'sqlcipher'", 'legacy = 4']

/** Sets the cipher and the key on a connection that has not read its file yet, and reads a page: false when the key (or the format) does not fit. */
function keyed(db: Database, cipher: readonly string[], raw: string): boolean {
  for (const setting of cipher) db.pragma(setting)
  db.pragma(`key = '${raw}'`)
  try {
    db.prepare('SELECT count(*) FROM sqlite_schema').get()
    return true
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_NOTADB') return false
    throw err
  }
}

/** Opens another connection to the cache file; read-only ones never write it, not even on close. */
export type OpenConnection = (readonly: boolean) => Database

/**
 * Whether the file reads in this format with this key, asked on a read-only connection: the last
 * connection to close a WAL file folds the WAL into it, which one with the wrong format would
 * garble.
 */
function readsWith(open: OpenConnection, cipher: readonly string[], raw: string): boolean {
  const probe = open(true)
  try {
    return keyed(probe, cipher, raw)
  } finally {
    probe.close()
  }
}

/**
 * A write killed midway in rollback-journal mode (the index build at the end of an initial sync,
 * bulk-load.ts) leaves a hot journal, which only a writable connection reading the cache in its
 * format rolls back: the read-only probes below would fail on it. A wrong key or format is then
 * found by the probes, and the cache is rebuilt from the server (openCacheOrRebuild).
 */
function rollBackInterruptedWrite(file: string, raw: string, open: OpenConnection): void {
  if (!existsSync(`${file}-journal`)) return
  const db = open(false)
  try {
    keyed(db, CACHE_CIPHER, raw)
  } finally {
    db.close()
  }
}

/**
 * A cache still in the earlier format, with a page HMAC, is rewritten in the current one (on a
 * connection of its own: one that failed to read a file cannot rewrite it). A cache already in
 * the current format, or one the key does not open at all, is left as it is.
 */
function rewriteEarlierFormat(raw: string, open: OpenConnection): void {
  if (readsWith(open, CACHE_CIPHER, raw) || !readsWith(open, CACHE_CIPHER_WITH_HMAC, raw)) return
  const earlier = open(false)
  try {
    if (!keyed(earlier, CACHE_CIPHER_WITH_HMAC, raw)) throw new Error('the cache stopped reading in its earlier format while it was being rewritten')
    // Rekeying rewrites every page and is refused in WAL mode; leaving WAL folds its pages in first.
    earlier.pragma('journal_mode = DELETE')
    earlier.pragma('hmac_use = 0')
    earlier.pragma(`rekey = '${raw}'`)
  } finally {
    earlier.close()
  }
}

/**
 * Unlocks the cache on a connection that has not read `file` yet, encrypting a plain cache in
 * place first (once: afterwards it is no longer plain), and rewriting one encrypted in the
 * earlier format. Without a key, a plain cache stays plain. Returns true when it encrypted a
 * plain cache.
 */
export function unlockCache(db: Database, file: string, key: Uint8Array | null, open: OpenConnection): boolean {
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
  // "raw:" hands the bytes over as the key itself; a passphrase would go through 256,000 rounds of PBKDF2.
  const raw = `raw:${Buffer.from(key).toString('hex')}`
  if (state === 'plain') {
    for (const setting of CACHE_CIPHER) db.pragma(setting)
    // Rekeying rewrites every page and is refused in WAL mode; leaving WAL first also folds
    // whatever plain pages the WAL still holds into the file being encrypted.
    db.pragma('journal_mode = DELETE')
    db.pragma(`rekey = '${raw}'`)
    return true
  }
  if (state === 'encrypted') {
    rollBackInterruptedWrite(file, raw, open)
    rewriteEarlierFormat(raw, open)
  }
  // A wrong key is noticed only when a page is read: keyed() reads one.
  if (!keyed(db, CACHE_CIPHER, raw)) throw new CacheKeyError('the cache cannot be read with its key')
  return false
}
