import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Core } from '../../src/core/core'
import { CACHE_FILE } from '../../src/core/db/open'
import { createCore } from '../../src/core/index'
import type { SearchHit, SyncState } from '../../src/shared/ipc'
import type { SyncServer } from '../../src/server/server'
import { agentWithToken, startTestServer, tempDir, waitUntilSynced } from './support/sync-harness'

/**
 * The cache at rest, through the real server, sync and socket: encrypted with its key, an old
 * plain cache encrypted in place, and a cache its key cannot open rebuilt from the server.
 */

const SENTENCE = 'The spare key is taped under the blue flowerpot by the back door'
const EMAIL = 'ines.holloway@example.test'

let dir: ReturnType<typeof tempDir>
let server: SyncServer
let token: string
let core: Core | null = null
let dataDir: string
let cacheFile: string
let itemId: string

beforeEach(async () => {
  dir = tempDir('threadline-cipher-')
  server = await startTestServer(join(dir.path, 'server.sqlite'))
  ;({ token } = await agentWithToken(server, 'Cora Cipher'))
  ;({ itemId } = await server.ingest({
    channel: 'email',
    inbox: 'Support email',
    externalId: '<flowerpot@example.test>',
    from: { kind: 'email', address: EMAIL, name: 'Ines Holloway' },
    subject: 'Locked out',
    text: SENTENCE,
  }))
  dataDir = join(dir.path, 'client')
  cacheFile = join(dataDir, CACHE_FILE)
})

afterEach(async () => {
  await core?.close()
  core = null
  await server.close()
  dir.remove()
})

async function syncedCore(cacheKey?: Buffer): Promise<Core> {
  core = await createCore({ dataDir, serverUrl: server.url, token, ...(cacheKey ? { cacheKey } : {}) })
  await waitUntilSynced(core, server)
  return core
}

async function searchFlowerpot(target: Core): Promise<string[]> {
  const hits = (await target.handle('search.query', { text: 'flowerpot' })) as SearchHit[]
  return hits.map((hit) => hit.id)
}

/** Whether the message, one word of it (as the search index keeps it) or its sender's address stand in the cache file or its WAL. */
function sentenceOnDisk(): boolean {
  const files = [cacheFile, `${cacheFile}-wal`].filter((file) => existsSync(file)).map((file) => readFileSync(file))
  return [SENTENCE, 'flowerpot', EMAIL].some((needle) => files.some((bytes) => bytes.includes(needle)))
}

async function closeCore(): Promise<void> {
  await core?.close()
  core = null
}

describe('the encrypted cache', () => {
  it('cannot be read without its key: SQLite calls it not a database, and a synced sentence is nowhere in the file or the WAL', async () => {
    const target = await syncedCore(randomBytes(32))
    expect(await searchFlowerpot(target)).toContain(itemId)
    // The core is still open: the newest pages sit in the WAL, which must be encrypted too.
    expect(statSync(`${cacheFile}-wal`).size).toBeGreaterThan(0)
    expect(sentenceOnDisk()).toBe(false)
    expect(statSync(cacheFile).mode & 0o777).toBe(0o600)

    const plain = new BetterSqlite3(cacheFile, { readonly: true })
    try {
      expect(() => plain.prepare('SELECT count(*) FROM sqlite_schema').get()).toThrow(/not a database/)
    } finally {
      plain.close()
    }
  })

  it('encrypts an existing plain cache in place on the first open with a key, keeping what was synced', async () => {
    await syncedCore()
    await closeCore()
    expect(sentenceOnDisk()).toBe(true)

    const key = randomBytes(32)
    core = await createCore({ dataDir, serverUrl: server.url, token, cacheKey: key })
    // Read before the sync gets a chance to bring anything: the data came through the migration.
    expect(await searchFlowerpot(core)).toContain(itemId)
    await waitUntilSynced(core, server)
    await closeCore()
    expect(sentenceOnDisk()).toBe(false)

    const again = await syncedCore(key)
    expect(await searchFlowerpot(again)).toContain(itemId)
  })

  it('opened with a wrong key, starts anyway, says why, and rebuilds the agent\'s data from the server', async () => {
    await syncedCore(randomBytes(32))
    await closeCore()

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      const target = await syncedCore(randomBytes(32))
      expect(await searchFlowerpot(target)).toContain(itemId)
      const state = (await target.handle('sync.state', {})) as SyncState
      expect(state.cacheNotice).toMatch(/could not be opened .* synced again from the server/)
      expect(warn.mock.calls.flat().join('\n')).toMatch(/could not be opened/)
    } finally {
      warn.mockRestore()
    }
    expect(sentenceOnDisk()).toBe(false)
  })

  it('opened with no key at all, is rebuilt the same way rather than refused', async () => {
    await syncedCore(randomBytes(32))
    await closeCore()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      const target = await syncedCore()
      expect(await searchFlowerpot(target)).toContain(itemId)
    } finally {
      warn.mockRestore()
    }
  })
})
