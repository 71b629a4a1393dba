import { join } from 'node:path'
import type { SafeStorage } from 'electron'
import { CACHE_KEY_BYTES } from '../core/db/cipher'
import { CACHE_KEY_FILE, newCacheKey, readOrCreateKeyFile, readSecretFile, writeSecretFile } from '../core/db/key-file'

/** The cache key as sealed by the OS keychain, in the app's user data folder. */
export const SEALED_KEY_FILE = 'cache-key.sealed'

/** What this module needs of Electron's safeStorage, which is passed in rather than imported. */
export type KeySealer = Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString' | 'getSelectedStorageBackend'>

/**
 * The desktop app's cache key: 32 random bytes made on first run and kept in `dir` only as
 * sealed by the OS keychain (Keychain, DPAPI, libsecret/kwallet), so the cache file copied off
 * the machine, or read by another account, is noise. Call after the app is ready (before it
 * the keychain answers "unavailable" on Linux).
 *
 * A sealed key the keychain no longer opens (its entry was reset) is replaced by a new one;
 * the core then finds the cache unreadable and rebuilds it from the server.
 */
export function loadCacheKey(dir: string, safeStorage: KeySealer): Buffer {
  if (!safeStorage.isEncryptionAvailable()) {
    console.warn('[main] no OS keychain is available: the cache key is kept in a file only this user can read')
    return readOrCreateKeyFile(join(dir, CACHE_KEY_FILE))
  }
  // Linux without a secret service: safeStorage "encrypts" with a password built into Chromium.
  if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') {
    console.warn('[main] no secret service (libsecret or kwallet) is running: the cache key is protected only by its file being readable by this user alone')
  }
  const file = join(dir, SEALED_KEY_FILE)
  const sealed = readSecretFile(file)
  if (sealed) {
    const key = unseal(sealed, safeStorage)
    if (key) return key
    console.warn('[main] the OS keychain could not open the cache key: a new key replaces it, and the cache is rebuilt from the server')
  }
  const key = newCacheKey()
  writeSecretFile(file, safeStorage.encryptString(key.toString('hex')))
  return key
}

function unseal(sealed: Buffer, safeStorage: KeySealer): Buffer | null {
  try {
    const key = Buffer.from(safeStorage.decryptString(sealed), 'hex')
    return key.length === CACHE_KEY_BYTES ? key : null
  } catch {
    return null
  }
}
