import { randomBytes } from 'node:crypto'
import { chmodSync, closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { CACHE_KEY_BYTES } from './cipher'

/** The browser host's cache key, beside the cache it opens. */
export const CACHE_KEY_FILE = 'threadline-cache.key'

/** A fresh random cache key. */
export function newCacheKey(): Buffer {
  return randomBytes(CACHE_KEY_BYTES)
}

/**
 * Writes `bytes` to `file` readable by its owner only. Through a temporary file and a rename,
 * so a crash never leaves half a key: a torn key would lock the cache it was made for.
 */
export function writeSecretFile(file: string, bytes: Uint8Array): void {
  const temporary = `${file}.${process.pid}.tmp`
  const fd = openSync(temporary, 'w', 0o600)
  try {
    writeSync(fd, bytes)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(temporary, file)
}

/** Reads `file`, narrowed to its owner if it was left wider; null when there is none. */
export function readSecretFile(file: string): Buffer | null {
  try {
    chmodSync(file, 0o600)
    return readFileSync(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

/**
 * The key in `file`, made on first run. A file that holds no key (damaged, or not ours) is
 * replaced by a new key: the cache it locked is then rebuilt from the server.
 */
export function readOrCreateKeyFile(file: string): Buffer {
  const existing = readSecretFile(file)
  if (existing?.length === CACHE_KEY_BYTES) return existing
  if (existing) console.warn(`[core] ${file} does not hold a cache key; a new key replaces it`)
  const key = newCacheKey()
  writeSecretFile(file, key)
  return key
}
