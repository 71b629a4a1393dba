import { chmodSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { tempDir } from '../testing/fixtures'
import { CACHE_KEY_FILE, readOrCreateKeyFile, readSecretFile, writeSecretFile } from './key-file'

let dir: ReturnType<typeof tempDir>
let file: string

beforeEach(() => {
  dir = tempDir('threadline-key-')
  file = join(dir.path, CACHE_KEY_FILE)
})
afterEach(() => dir.remove())

const mode = (path: string): number => statSync(path).mode & 0o777

describe('the cache key file', () => {
  it('is made on first run with 32 random bytes, readable by its owner only, and read back after', () => {
    const key = readOrCreateKeyFile(file)
    expect(key).toHaveLength(32)
    expect(mode(file)).toBe(0o600)
    expect(readOrCreateKeyFile(file).equals(key)).toBe(true)
    expect(readOrCreateKeyFile(join(dir.path, 'other.key')).equals(key)).toBe(false)
  })

  it('is narrowed to its owner when found wider', () => {
    const key = readOrCreateKeyFile(file)
    chmodSync(file, 0o644)
    expect(readOrCreateKeyFile(file).equals(key)).toBe(true)
    expect(mode(file)).toBe(0o600)
  })

  it('is replaced by a new key when it holds none', () => {
    writeFileSync(file, 'not a key', { mode: 0o600 })
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      expect(readOrCreateKeyFile(file)).toHaveLength(32)
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/does not hold a cache key/))
    } finally {
      warn.mockRestore()
    }
  })

  it('secret files are written whole and 0600, and a missing one reads as null', () => {
    const sealed = join(dir.path, 'cache-key.sealed')
    expect(readSecretFile(sealed)).toBeNull()
    writeSecretFile(sealed, Buffer.from('sealed bytes'))
    expect(mode(sealed)).toBe(0o600)
    expect(readSecretFile(sealed)?.toString()).toBe('sealed bytes')
  })
})
