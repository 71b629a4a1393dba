import fs from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Core } from '../../src/core/core'
import { CACHE_FILE } from '../../src/core/db/open'
import { createCore } from '../../src/core/index'
import type { SyncServer } from '../../src/server/server'
import type { RetentionRun } from '../../src/shared/retention'
import { api } from './server-fixtures'
import { agentWithToken, readCache, startTestServer, tempDir, waitFor, waitUntilSynced } from './support/sync-harness'

/**
 * Retention through the real server, sync and client caches: a resolved conversation past its
 * rule leaves the server and every cache, an offline one included once it syncs, with no byte of
 * its text left in their files.
 */

const DAY = 86_400_000
const OLD_SENTENCE = 'The lighthouse lamp on the pier hums quixotically at night'
/** A word of the old message only, as the search index holds it (lower case, one term). */
const OLD_TERM = 'quixotically'
const RECENT_SENTENCE = 'The replacement lamp arrived and works'

let dir: ReturnType<typeof tempDir>
let server: SyncServer
const cores: Core[] = []

beforeEach(async () => {
  dir = tempDir('threadline-retention-')
  server = await startTestServer(join(dir.path, 'server.sqlite'))
})

afterEach(async () => {
  for (const core of cores.splice(0)) await core.close()
  await server.close()
  dir.remove()
})

async function openCore(name: string, token: string): Promise<Core> {
  const core = await createCore({ dataDir: join(dir.path, name), serverUrl: server.url, token, batchSize: 50 })
  cores.push(core)
  return core
}

async function closeCore(core: Core): Promise<void> {
  cores.splice(cores.indexOf(core), 1)
  await core.close()
}

const files = (...names: string[]) => {
  const db = join(dir.path, 'server.sqlite')
  return [db, `${db}-wal`, ...names.flatMap((n) => [join(dir.path, n, CACHE_FILE), join(dir.path, n, `${CACHE_FILE}-wal`)])]
}
const holding = (paths: readonly string[], needle: string) =>
  paths.filter((f) => fs.existsSync(f) && fs.readFileSync(f).includes(Buffer.from(needle, 'utf8')))

describe('retention across the caches', () => {
  it('deletes an old resolved conversation from the server and from an online and an offline client, to the last byte', async () => {
    const admin = await agentWithToken(server, 'Ada Admin', 'admin')
    const now = Date.now()
    const old = await server.ingest({
      channel: 'email',
      inbox: 'support',
      externalId: '<old@retention.test>',
      from: { kind: 'email', address: 'nell@retention.test', name: 'Nell Marrowby' },
      subject: 'Humming lamp',
      text: OLD_SENTENCE,
      sentAt: now - 400 * DAY,
    })
    const resolved = await server.applyMutation(admin.user, { name: 'setStatus', args: { conversationId: old.conversationId, status: 'resolved' } }, undefined, {
      at: now - 399 * DAY,
    })
    expect(resolved.outcome).toBe('applied')
    const recent = await server.ingest({
      channel: 'sms',
      inbox: 'sms-main',
      externalId: 'SM-retention-1',
      from: { kind: 'phone', address: '+14155550123', name: 'Nell Marrowby' },
      text: RECENT_SENTENCE,
    })

    const a = await openCore('a', (await agentWithToken(server, 'Online Olga')).token)
    const b = await openCore('b', (await agentWithToken(server, 'Offline Otto')).token)
    await waitUntilSynced(a, server)
    await waitUntilSynced(b, server)
    await closeCore(b)
    expect(holding(files('a', 'b'), OLD_SENTENCE).length).toBeGreaterThan(0)
    expect(JSON.stringify(await a.handle('search.query', { text: OLD_TERM }))).toContain('lighthouse')

    const rules = { rules: [{ inbox: null, channel: null, deleteAfterDays: 365 }], customersWithoutConversationsDays: null }
    expect((await api(server.url, 'PUT', '/api/v1/retention', { token: admin.token, body: rules })).status).toBe(200)
    const run = await api<RetentionRun>(server.url, 'POST', '/api/v1/retention/runs', { token: admin.token, body: { dryRun: false } })
    expect(run.body).toMatchObject({ conversations: 1, customers: 0, error: null })

    await waitFor('client A to drop the old conversation', () => !readCache(join(dir.path, 'a')).current.has(`conversation:${old.conversationId}`))
    await waitUntilSynced(a, server)
    const back = await openCore('b', (await agentWithToken(server, 'Offline Otto')).token)
    await waitUntilSynced(back, server)
    const cacheB = readCache(join(dir.path, 'b'))
    expect(cacheB.current.has(`conversation:${old.conversationId}`)).toBe(false)
    expect(cacheB.current.has(`message:${old.itemId}`)).toBe(false)
    expect(cacheB.current.has(`conversation:${recent.conversationId}`)).toBe(true)
    expect(JSON.stringify(await back.handle('search.query', { text: OLD_TERM }))).not.toContain('lighthouse')
    await closeCore(back)
    await closeCore(a)

    expect([...holding(files('a', 'b'), OLD_SENTENCE), ...holding(files('a', 'b'), OLD_TERM)]).toEqual([])
    // What the rule does not cover stays, everywhere.
    expect(holding(files('a', 'b'), RECENT_SENTENCE).length).toBeGreaterThan(0)
  })
})
