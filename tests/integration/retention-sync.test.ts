import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SyncServer } from '../../src/server/server'
import type { RetentionRun } from '../../src/shared/retention'
import { api } from './server-fixtures'
import { agentWithToken, readCache, startServerWithCores, traces, waitFor, waitUntilSynced, type ServerWithCores } from './support/sync-harness'

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

let world: ServerWithCores
let server: SyncServer

beforeEach(async () => {
  world = await startServerWithCores('threadline-retention-')
  server = world.server
})

afterEach(() => world.close())

const files = (...names: string[]) => [...world.serverFiles(), ...names.flatMap((n) => world.cacheFiles(n))]

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

    const a = await world.openCore('a', (await agentWithToken(server, 'Online Olga')).token)
    const b = await world.openCore('b', (await agentWithToken(server, 'Offline Otto')).token)
    await waitUntilSynced(a, server)
    await waitUntilSynced(b, server)
    await world.closeCore(b)
    expect(traces(files('a', 'b'), [OLD_SENTENCE]).length).toBeGreaterThan(0)
    expect(JSON.stringify(await a.handle('search.query', { text: OLD_TERM }))).toContain('lighthouse')

    const rules = { rules: [{ inbox: null, channel: null, deleteAfterDays: 365 }], customersWithoutConversationsDays: null }
    expect((await api(server.url, 'PUT', '/api/v1/retention', { token: admin.token, body: rules })).status).toBe(200)
    const run = await api<RetentionRun>(server.url, 'POST', '/api/v1/retention/runs', { token: admin.token, body: { dryRun: false } })
    expect(run.body).toMatchObject({ conversations: 1, customers: 0, error: null })

    await waitFor('client A to drop the old conversation', () => !readCache(join(world.dir, 'a')).current.has(`conversation:${old.conversationId}`))
    await waitUntilSynced(a, server)
    const back = await world.openCore('b', (await agentWithToken(server, 'Offline Otto')).token)
    await waitUntilSynced(back, server)
    const cacheB = readCache(join(world.dir, 'b'))
    expect(cacheB.current.has(`conversation:${old.conversationId}`)).toBe(false)
    expect(cacheB.current.has(`message:${old.itemId}`)).toBe(false)
    expect(cacheB.current.has(`conversation:${recent.conversationId}`)).toBe(true)
    expect(JSON.stringify(await back.handle('search.query', { text: OLD_TERM }))).not.toContain('lighthouse')
    await world.closeCore(back)
    await world.closeCore(a)

    expect(traces(files('a', 'b'), [OLD_SENTENCE, OLD_TERM])).toEqual([])
    // What the rule does not cover stays, everywhere.
    expect(traces(files('a', 'b'), [RECENT_SENTENCE]).length).toBeGreaterThan(0)
  })
})
