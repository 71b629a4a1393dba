import fs from 'node:fs'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CACHE_FILE } from '../../src/core/db/open'
import { attachmentsDir } from '../../src/server/connectors/email/email-connector'
import { AttachmentStore } from '../../src/server/connectors/email/attachment-store'
import type { SyncServer } from '../../src/server/server'
import type { CustomerSummaries } from '../../src/shared/ipc'
import type { Erasure, RestoreResult } from '../../src/shared/privacy'
import { summaryId } from '../../src/shared/summaries'
import { completion, itemIdsOf, startFakeModel, type FakeModel } from '../support/chat-completions'
import { api } from './server-fixtures'
import { agentWithToken, pullChangeLog, readCache, startServerWithCores, traces, waitFor, waitUntilSynced, type ServerWithCores } from './support/sync-harness'

/**
 * Erasing a customer through the real server, sync and client caches: the acceptance test of
 * erasure. After a purge, the customer's email, phone and a sentence of theirs are found in no
 * file the server or an offline client keeps.
 */

const EMAIL = 'wilhelmina.erasable@privacy.test'
const PHONE = '+14155550188'
const SENTENCE = 'Please send the spare key to the blue boathouse behind Quillfeather Lane'

let world: ServerWithCores
let server: SyncServer

beforeEach(async () => {
  world = await startServerWithCores('threadline-erasure-')
  server = world.server
})

afterEach(() => world.close())

let model: FakeModel | null = null
// Registered after the world's close, so it runs before it: a summary held at the model is cut short.
afterEach(async () => {
  await model?.close()
  model = null
})

/** The customer: an email and a phone, a message with the sentence and an attachment holding it too. */
async function seedCustomer(): Promise<{ customerId: string; conversationId: string }> {
  const files = new AttachmentStore(attachmentsDir(world.dir), 1 << 20)
  const attachment = files.save(Buffer.from(`Directions: ${SENTENCE}`), { name: 'directions.txt', contentType: 'text/plain', inbox: 'support' })
  const first = await server.ingest({
    channel: 'email',
    inbox: 'support',
    externalId: '<first@privacy.test>',
    from: { kind: 'email', address: EMAIL, name: 'Wilhelmina Erasable' },
    alsoKnownAs: [{ kind: 'phone', address: PHONE }],
    subject: 'Spare key',
    text: SENTENCE,
    attachments: [attachment],
  })
  await server.ingest({ channel: 'email', inbox: 'support', externalId: '<second@privacy.test>', from: { kind: 'email', address: EMAIL }, text: 'Thanks!' })
  await server.ingest({
    channel: 'email',
    inbox: 'support',
    externalId: '<other@privacy.test>',
    from: { kind: 'email', address: 'someone.else@privacy.test' },
    text: 'Another customer entirely',
  })
  return { customerId: first.customerId, conversationId: first.conversationId }
}

const NEEDLES = [EMAIL, PHONE, SENTENCE]

/** The server's database, its WAL and the attachment folder's files. */
const serverFiles = () => {
  const folder = attachmentsDir(world.dir)
  return [...world.serverFiles(), ...(fs.existsSync(folder) ? fs.readdirSync(folder).map((f) => join(folder, f)) : [])]
}
const holds = (name: string, id: string) => readCache(join(world.dir, name)).current.has(`customer:${id}`)

/** How many rows a query finds in a database file, read from outside its writer. */
function cell<T>(file: string, sql: string, ...params: unknown[]): T {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true })
  try {
    return db.prepare(sql).pluck().get(...params) as T
  } finally {
    db.close()
  }
}
const serverCount = (sql: string, ...params: unknown[]): number => cell(join(world.dir, 'server.sqlite'), sql, ...params)
const cacheCell = <T>(name: string, sql: string, ...params: unknown[]): T => cell(join(world.dir, name, CACHE_FILE), sql, ...params)
const cacheCount = (name: string, sql: string, ...params: unknown[]): number => cacheCell(name, sql, ...params)

/** Written by the model alone: found in a file only where her story or a rating of it is kept. */
const STORY = 'Wants the spare key posted to the Marrowgate pier office; nothing promised yet.'
/** A message whose summary the model takes its time over, holding the server's summaries meanwhile. */
const HOLD = 'Still waiting to hear about my own parcel'

describe('erasing a customer', () => {
  it('after the purge, leaves nothing of them in the server’s database, its WAL, the attachments, or an offline client’s cache', async () => {
    const admin = await agentWithToken(server, 'Ada Admin', 'admin')
    const agentA = await agentWithToken(server, 'Online Olga')
    const agentB = await agentWithToken(server, 'Offline Otto')
    const { customerId } = await seedCustomer()
    expect(traces(serverFiles(), NEEDLES).length).toBeGreaterThan(0)

    const a = await world.openCore('a', agentA.token)
    const b = await world.openCore('b', agentB.token)
    await waitUntilSynced(a, server)
    await waitUntilSynced(b, server)
    expect(holds('b', customerId)).toBe(true)
    // The search index finds the sentence before the erasure.
    expect(JSON.stringify(await b.handle('search.query', { text: 'Quillfeather' }))).toContain('Quillfeather')
    await world.closeCore(b)
    expect(traces(world.cacheFiles('b'), NEEDLES).length).toBeGreaterThan(0)

    const erased = await api<{ erasure: Erasure }>(server.url, 'POST', `/api/v1/customers/${customerId}/erase`, {
      token: admin.token,
      body: { now: true },
    })
    expect(erased.status).toBe(200)
    expect(erased.body.erasure).toMatchObject({ customerId, immediate: true })
    await waitFor('client A to drop the customer', () => !holds('a', customerId))
    await waitFor('the purge', async () => (await api<{ items: Erasure[] }>(server.url, 'GET', '/api/v1/erasures', { token: admin.token })).body.items.length === 0)

    const back = await world.openCore('b', agentB.token)
    await waitUntilSynced(back, server)
    expect(holds('b', customerId)).toBe(false)
    expect(JSON.stringify(await back.handle('search.query', { text: 'Quillfeather' }))).not.toContain('Quillfeather')
    await world.closeCore(back)

    expect(traces([...serverFiles(), ...world.cacheFiles('a'), ...world.cacheFiles('b')], NEEDLES)).toEqual([])
    // The other customer is untouched.
    expect((await api<{ items: unknown[] }>(server.url, 'GET', '/api/v1/customers?q=someone.else', { token: admin.token })).body.items).toHaveLength(1)
  })

  it('erases their summaries: the server’s story, its ratings, a waiting request to write it again, and a story written on a device', async () => {
    // Stories written within a tick of the last message, by a model whose pace the test sets.
    await world.close()
    const endpoint = await startFakeModel((body) => {
      const sent = JSON.stringify(body.messages)
      if (sent.includes(HOLD)) return { ...completion({ story: 'Waiting on a parcel.', facts: [] }), delayMs: 5_000 }
      if (!sent.includes('Quillfeather')) return completion({ story: 'Another customer.', facts: [] })
      return completion({ story: STORY, facts: [{ kind: 'request', text: 'Spare key to be posted', value: null, sourceIds: [itemIdsOf(body)[0]!] }] })
    })
    model = endpoint
    world = await startServerWithCores('threadline-erasure-', {
      summaryDebounceMs: 150,
      summaryMaxWaitMs: 5_000,
      summaryModelUrl: endpoint.url,
      summaryModel: 'loopback-7b',
      summaryModelRetries: 0,
      summaryModelTimeoutMs: 30_000,
    })
    server = world.server
    const admin = await agentWithToken(server, 'Ada Admin', 'admin')
    const agentA = await agentWithToken(server, 'Online Olga')
    // Otto does not see billing: her story, which reads it, never reaches him, so his device writes its own.
    const otto = await server.createUser({ name: 'Offline Otto', email: 'offline.otto@example.test', role: 'agent', inboxes: ['support'] })
    const { customerId } = await seedCustomer()
    await server.ingest({ channel: 'email', inbox: 'billing', externalId: '<billing@privacy.test>', from: { kind: 'email', address: EMAIL }, text: 'And my last invoice was wrong.' })
    const storyId = summaryId('customer_story', customerId)

    const a = await world.openCore('a', agentA.token)
    const story = await waitFor('her story on client A', async () => {
      const { story } = (await a.handle('summaries.ofCustomer', { customerId })) as CustomerSummaries
      return story && !story.updatedOnDevice && story.itemCount === 3 ? story : null
    })
    expect(story).toMatchObject({ provider: 'model', text: STORY, inboxes: ['billing', 'support'] })
    await a.handle('summaries.rate', { summaryId: storyId, generatedAt: story.generatedAt, rating: 'down' })
    await waitFor('her rating on the server', () => serverCount('SELECT count(*) FROM summary_feedback WHERE summary_id = ?', storyId) === 1)
    expect(cacheCount('a', 'SELECT count(*) FROM summary_ratings WHERE summary_id = ?', storyId)).toBe(1)

    const b = await world.openCore('b', await server.createToken(otto.id))
    await waitUntilSynced(b, server)
    const { story: onDevice } = (await b.handle('summaries.ofCustomer', { customerId })) as CustomerSummaries
    expect(onDevice).toMatchObject({ id: storyId, updatedOnDevice: true, inboxes: ['support'] })
    await world.closeCore(b)
    expect(cacheCount('b', 'SELECT count(*) FROM summaries WHERE customer_id = ?', customerId)).toBe(1)
    // A cache keeps a summary deflated: its bytes as stored, not its words, are what its files hold.
    const storedStories = ['a', 'b'].map((name) => cacheCell<Uint8Array>(name, 'SELECT json FROM summaries WHERE id = ?', storyId))

    // While the model takes its time over another customer, a request to write her story again waits.
    await server.ingest({ channel: 'email', inbox: 'support', externalId: '<hold@privacy.test>', from: { kind: 'email', address: 'someone.else@privacy.test' }, text: HOLD })
    await waitFor('the model to be asked about the other customer', () => endpoint.bodies.some((body) => JSON.stringify(body.messages).includes(HOLD)))
    const asked = await server.applyMutation(agentA.user, { name: 'regenerateSummary', args: { customerId } }, undefined, { at: story.generatedAt + 31_000 })
    expect(asked.outcome).toBe('applied')
    expect(serverCount('SELECT count(*) FROM summary_requests WHERE customer_id = ?', customerId)).toBe(1)
    expect(serverCount('SELECT count(*) FROM summaries WHERE customer_id = ?', customerId)).toBe(1)
    const needles = [...NEEDLES, STORY, onDevice!.text, ...storedStories]
    expect(traces(serverFiles(), [STORY])).not.toEqual([])
    expect(traces(world.cacheFiles('a'), [storedStories[0]!])).not.toEqual([])
    expect(traces(world.cacheFiles('b'), [storedStories[1]!])).not.toEqual([])

    const erased = await api(server.url, 'POST', `/api/v1/customers/${customerId}/erase`, { token: admin.token, body: { now: true } })
    expect(erased.status).toBe(200)
    await waitFor('client A to drop her', () => !holds('a', customerId))
    await waitFor('the purge', async () => (await api<{ items: Erasure[] }>(server.url, 'GET', '/api/v1/erasures', { token: admin.token })).body.items.length === 0)
    const back = await world.openCore('b', await server.createToken(otto.id))
    await waitUntilSynced(back, server)
    await world.closeCore(back)

    for (const table of ['summaries', 'summary_requests']) expect(serverCount(`SELECT count(*) FROM ${table} WHERE customer_id = ?`, customerId)).toBe(0)
    expect(serverCount('SELECT count(*) FROM summary_feedback WHERE summary_id = ?', storyId)).toBe(0)
    for (const name of ['a', 'b']) {
      expect(cacheCount(name, 'SELECT count(*) FROM summaries WHERE customer_id = ?', customerId)).toBe(0)
      expect(cacheCount(name, 'SELECT count(*) FROM summary_ratings WHERE summary_id = ?', storyId)).toBe(0)
    }
    expect(traces([...serverFiles(), ...world.cacheFiles('a'), ...world.cacheFiles('b')], needles)).toEqual([])
  })

  it('sends nothing of them to a client that syncs from zero after the purge', async () => {
    const admin = await agentWithToken(server, 'Ada Admin', 'admin')
    const { customerId, conversationId } = await seedCustomer()
    await api(server.url, 'POST', `/api/v1/customers/${customerId}/erase`, { token: admin.token, body: { now: true } })
    await waitFor('the purge', async () => (await api<{ items: Erasure[] }>(server.url, 'GET', '/api/v1/erasures', { token: admin.token })).body.items.length === 0)

    const log = JSON.stringify(await pullChangeLog(server.url, admin.token))
    for (const needle of [EMAIL, PHONE, SENTENCE, 'Wilhelmina']) expect(log).not.toContain(needle)
    const fresh = await world.openCore('fresh', (await agentWithToken(server, 'Fresh Fay')).token)
    await waitUntilSynced(fresh, server)
    const cache = readCache(join(world.dir, 'fresh'))
    expect(cache.current.has(`customer:${customerId}`)).toBe(false)
    expect(cache.current.has(`conversation:${conversationId}`)).toBe(false)
    expect(traces(world.cacheFiles('fresh'), NEEDLES)).toEqual([])
    // REST reads no longer return them.
    expect((await api(server.url, 'GET', `/api/v1/customers/${customerId}`, { token: admin.token })).status).toBe(404)
    expect((await api<{ items: unknown[] }>(server.url, 'GET', `/api/v1/customers?q=wilhelmina`, { token: admin.token })).body.items).toEqual([])
  })

  it('removes them from a connected client with one change, and a restore within the grace period brings everything back, merged conversations included', async () => {
    const admin = await agentWithToken(server, 'Ada Admin', 'admin')
    const agent = await agentWithToken(server, 'Online Olga')
    const { customerId, conversationId } = await seedCustomer()
    // A second record of hers, by SMS, merged into her: its conversation is hers now.
    const sms = await server.ingest({ channel: 'sms', inbox: 'sms-main', externalId: 'SM-privacy-1', from: { kind: 'phone', address: '+14155550199' }, text: 'texting too' })
    const merge = await server.applyMutation(admin.user, {
      name: 'mergeCustomers',
      args: { mergeId: '00000000-0000-4000-8000-00000000e1a5', sourceId: sms.customerId, targetId: customerId },
    })
    expect(merge.outcome).toBe('applied')

    const a = await world.openCore('a', agent.token)
    await waitUntilSynced(a, server)
    const before = readCache(join(world.dir, 'a'))
    expect(before.current.get(`conversation:${sms.conversationId}`)).toMatchObject({ customerId })
    const cursor = before.cursor

    const erased = await api<{ erasure: Erasure }>(server.url, 'POST', `/api/v1/customers/${customerId}/erase`, { token: admin.token, body: {} })
    expect(erased.body.erasure.customerIds.sort()).toEqual([customerId, sms.customerId].sort())
    await waitFor('client A to drop her', () => !holds('a', customerId))
    const dropped = readCache(join(world.dir, 'a'))
    expect(dropped.current.has(`conversation:${conversationId}`)).toBe(false)
    expect(dropped.current.has(`conversation:${sms.conversationId}`)).toBe(false)
    // One delete of each record (hers and the one merged into her), in one commit.
    const erasing = (await pullChangeLog(server.url, admin.token)).filter((c) => c.seq > cursor)
    expect(erasing.map((c) => [c.entity, c.op])).toEqual([
      ['customer', 'delete'],
      ['customer', 'delete'],
    ])

    // Meanwhile she writes again: a new customer, never her erased record.
    const again = await server.ingest({ channel: 'email', inbox: 'support', externalId: '<third@privacy.test>', from: { kind: 'email', address: EMAIL }, text: 'Hello?' })
    expect(again.customerId).not.toBe(customerId)

    const restored = await api<RestoreResult>(server.url, 'POST', `/api/v1/customers/${customerId}/restore`, { token: admin.token })
    expect(restored.status).toBe(200)
    expect(restored.body.identitiesSkipped).toHaveLength(1)
    await waitFor('client A to hold her again', () => holds('a', customerId))
    await waitUntilSynced(a, server)
    const after = readCache(join(world.dir, 'a'))
    expect(after.current.get(`conversation:${conversationId}`)).toMatchObject({ customerId })
    expect(after.current.get(`conversation:${sms.conversationId}`)).toMatchObject({ customerId })
    expect(after.current.get(`customer:${sms.customerId}`)).toMatchObject({ mergedInto: customerId })
    const timeline = JSON.stringify(await a.handle('customer.timeline', { customerId }))
    expect(timeline).toContain(SENTENCE)
    expect(timeline).toContain('texting too')
    // The merge itself is back: it can still be undone.
    const undo = await server.applyMutation(admin.user, { name: 'unmergeCustomers', args: { mergeId: '00000000-0000-4000-8000-00000000e1a5' } })
    expect(undo.outcome).toBe('applied')
  })

  it('refuses agents, and an erasure of a customer merged into another', async () => {
    const agent = await agentWithToken(server, 'Agent Al')
    const admin = await agentWithToken(server, 'Ada Admin', 'admin')
    const { customerId } = await seedCustomer()
    const refused = await api(server.url, 'POST', `/api/v1/customers/${customerId}/erase`, { token: agent.token, body: {} })
    expect(refused.status).toBe(403)
    expect((await api(server.url, 'GET', `/api/v1/customers/${customerId}`, { token: agent.token })).status).toBe(200)

    const sms = await server.ingest({ channel: 'sms', inbox: 'sms-main', externalId: 'SM-privacy-2', from: { kind: 'phone', address: '+14155550177' }, text: 'hi' })
    const mergeId = '00000000-0000-4000-8000-00000000e1a6'
    await server.applyMutation(admin.user, { name: 'mergeCustomers', args: { mergeId, sourceId: sms.customerId, targetId: customerId } })
    const merged = await api(server.url, 'POST', `/api/v1/customers/${sms.customerId}/erase`, { token: admin.token, body: {} })
    expect(merged).toMatchObject({ status: 409, body: { error: { message: expect.stringContaining(`merged into ${customerId}`) } } })
  })
})
