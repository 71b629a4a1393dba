import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { EntityName, EntityTypes, Summary } from '../../shared/domain'
import type { IpcArgs, IpcEventMessage, IpcMethod, IpcResults, SyncStatus } from '../../shared/ipc'
import { REGENERATE_COOLDOWN_MS, summaryId } from '../../shared/summaries'
import { openCache } from '../db/open'
import { countOutbox, getEntity, getSyncMeta, listAllOutbox } from '../db/queries'
import { applyBatch } from '../sync/apply'
import { changes, conversation, customer, message, tempDir, user } from '../testing/fixtures'
import { seededCore } from '../testing/seeded-core'
import type { HandlerContext, SyncLink } from './context'
import { summaryHandlers } from './summaries'

const MINUTE = 60_000
const now = Date.now()
const v1 = conversation('v1', 'c1', { subject: 'Broken lamp', inbox: 'support', lastMessageAt: now - 50 * MINUTE })
const m1 = message('m1', v1, now - 60 * MINUTE, { text: 'Hi, the lamp from order 48213 arrived broken. I would like a refund of €59.90 please.' })
const m2 = message('m2', v1, now - 55 * MINUTE, {
  direction: 'outbound',
  authorId: 'me',
  authorName: 'Agent me',
  deliveryStatus: 'sent',
  text: 'Sorry about that! We will refund you within 5 days.',
})
const m3 = message('m3', v1, now - 50 * MINUTE, { text: 'Could you also cancel my subscription SUB-7781?' })

type Seed = Parameters<typeof changes>[1]
const base: Seed = [
  ['user', user('me')],
  ['customer', customer('c1')],
  ['customer', customer('c2')],
  ['conversation', v1],
  ['message', m1],
  ['message', m2],
]

/** The story as the server would have written it, through m2. */
function serverStory(over: Partial<Summary> = {}): Summary {
  return {
    id: summaryId('customer_story', 'c1'),
    kind: 'customer_story',
    customerId: 'c1',
    conversationId: null,
    callId: null,
    text: 'Asked for a refund of €59.90 for a broken lamp (order 48213); a refund within 5 days was promised.',
    facts: [
      { kind: 'amount', text: 'Refund of €59.90 asked for.', value: '€59.90', sourceIds: ['m1'] },
      { kind: 'promise', text: 'Refund within 5 days.', sourceIds: ['m2'] },
    ],
    provider: 'model',
    model: 'gpt-test',
    fallbackReason: null,
    coversItemId: 'm2',
    coversThrough: m2.sentAt,
    itemCount: 2,
    inboxes: ['support'],
    generatedAt: now - 40 * MINUTE,
    updatedOnDevice: null,
    ...over,
  }
}

let seeded: Awaited<ReturnType<typeof seededCore>>
let events: IpcEventMessage[]
const call = <M extends IpcMethod>(method: M, args: IpcArgs<M>) => seeded.core.handle(method, args) as Promise<IpcResults[M]>

async function start(seed: Seed): Promise<void> {
  seeded = await seededCore('me', seed)
  events = []
  seeded.core.subscribe((e) => events.push(e))
}
afterEach(() => seeded?.close())

/** Changes the cache as the sync engine would, beside the running core. */
function inCache<T>(change: (db: Database) => T): T {
  const db = openCache(seeded.dir.path, seeded.serverUrl)
  try {
    return change(db)
  } finally {
    db.close()
  }
}

/** Applies server changes through the sync's apply path, after the cursor the cache is at. */
function syncIn(db: Database, items: { [E in EntityName]: [E, EntityTypes[E]] }[EntityName][]): void {
  const after = getSyncMeta(db)?.cursor ?? 0
  applyBatch(db, { after, cursor: after + items.length, changes: changes(after + 1, items) })
}

const summaryChanges = () =>
  events.filter((e) => e.event === 'data.changed' && (e.payload as { entities: string[] }).entities.includes('summary'))

describe('summaries.ofCustomer on an offline core', () => {
  it('writes a missing story on this device from the cache, its facts citing cached messages, once', async () => {
    await start(base)
    const { story, regenerating } = await call('summaries.ofCustomer', { customerId: 'c1' })
    expect(regenerating).toBeNull()
    expect(story).toMatchObject({
      id: 'story:c1',
      kind: 'customer_story',
      provider: 'embedded',
      model: null,
      fallbackReason: null,
      updatedOnDevice: true,
      coversItemId: 'm2',
      coversThrough: m2.sentAt,
      itemCount: 2,
      inboxes: ['support'],
      staleness: { newItems: 0, newestAt: null },
      myRating: null,
    })
    expect(story!.text).toContain('48213')
    expect(story!.facts.length).toBeGreaterThan(0)
    expect(story!.facts.flatMap((f) => f.sourceIds).every((id) => id === 'm1' || id === 'm2')).toBe(true)
    expect(story!.facts.find((f) => f.value === '€59.90')?.sourceIds).toEqual(['m1'])
    expect(summaryChanges().map((e) => e.payload)).toEqual([{ entities: ['summary'], customerIds: ['c1'] }])

    // Nothing changed: read again, not written again.
    const again = await call('summaries.ofCustomer', { customerId: 'c1' })
    expect(again.story!.generatedAt).toBe(story!.generatedAt)
    expect(summaryChanges()).toHaveLength(1)
    // Stored as a device-only row: the server never had it.
    expect(inCache((db) => getEntity(db, 'summary', 'story:c1'))).toMatchObject({ current: { updatedOnDevice: true }, server: null })
  })

  it('writes nothing for a customer without items', async () => {
    await start(base)
    expect(await call('summaries.ofCustomer', { customerId: 'c2' })).toEqual({ story: null, regenerating: null })
    expect(summaryChanges()).toEqual([])
  })

  it('refreshes a stale story incrementally: the older facts kept, the new message’s fact added', async () => {
    await start([...base, ['summary', serverStory()], ['message', m3]])
    const { story } = await call('summaries.ofCustomer', { customerId: 'c1' })
    expect(story).toMatchObject({
      provider: 'embedded',
      model: null,
      updatedOnDevice: true,
      coversItemId: 'm3',
      coversThrough: m3.sentAt,
      itemCount: 3,
      staleness: { newItems: 0, newestAt: null },
    })
    // The server's facts stand for m1 and m2 (they were not read again); m3 adds its own.
    for (const fact of serverStory().facts) expect(story!.facts).toContainEqual(expect.objectContaining({ text: fact.text, sourceIds: fact.sourceIds }))
    expect(story!.facts.find((f) => f.value === 'SUB-7781')?.sourceIds).toEqual(['m3'])
    expect(story!.generatedAt).toBeGreaterThanOrEqual(now)
    // The server's copy stays under it, for its next version to replace.
    expect(inCache((db) => getEntity(db, 'summary', 'story:c1')?.server)).toMatchObject({ provider: 'model', coversItemId: 'm2' })
  })

  it('gives way to the server’s story when the sync applies one', async () => {
    await start([...base, ['message', m3]])
    expect((await call('summaries.ofCustomer', { customerId: 'c1' })).story).toMatchObject({ updatedOnDevice: true, coversItemId: 'm3' })
    const fresh = serverStory({ coversItemId: 'm3', coversThrough: m3.sentAt, itemCount: 3, generatedAt: now, text: 'From the server.' })
    inCache((db) => syncIn(db, [['summary', fresh]]))
    const { story } = await call('summaries.ofCustomer', { customerId: 'c1' })
    expect(story).toEqual({ ...fresh, staleness: { newItems: 0, newestAt: null }, myRating: null })
    expect(inCache((db) => getEntity(db, 'summary', 'story:c1'))).toEqual({ current: fresh, server: fresh })
  })
})

describe('summaries.rate', () => {
  it('shows the rating at once and queues it; discarding it takes the rating back', async () => {
    await start([...base, ['summary', serverStory()]])
    const version = { summaryId: 'story:c1', generatedAt: serverStory().generatedAt }
    const { mutationId } = await call('summaries.rate', { ...version, rating: 'down' })
    expect((await call('summaries.ofCustomer', { customerId: 'c1' })).story).toMatchObject({ myRating: 'down', provider: 'model' })
    expect(summaryChanges().map((e) => e.payload)).toEqual([{ entities: ['summary'], customerIds: ['c1'] }])
    const outbox = await call('outbox.list', {})
    expect(outbox.map((o) => [o.mutationId, o.name, o.args])).toEqual([[mutationId, 'rateSummary', { ...version, rating: 'down' }]])

    await call('outbox.discard', { mutationId })
    const after = await call('summaries.ofCustomer', { customerId: 'c1' })
    expect(after.story).toMatchObject({ myRating: null, provider: 'model', updatedOnDevice: null })
  })

  it('refuses an unknown summary, an older version and a story only this device has', async () => {
    await start(base)
    await expect(call('summaries.rate', { summaryId: 'story:c1', generatedAt: 1, rating: 'up' })).rejects.toThrow(/not in this device's cache/)
    const { story } = await call('summaries.ofCustomer', { customerId: 'c1' })
    await expect(call('summaries.rate', { summaryId: story!.id, generatedAt: story!.generatedAt, rating: 'up' })).rejects.toThrow(/written on this device/)
    await expect(call('summaries.rate', { summaryId: story!.id, generatedAt: story!.generatedAt - 1, rating: 'up' })).rejects.toThrow(/rewritten since/)
    expect(await call('outbox.list', {})).toEqual([])
  })
})

describe('summaries.regenerate', () => {
  it('offline, rewrites the story on this device at once', async () => {
    await start([...base, ['summary', serverStory()]])
    expect(await call('summaries.regenerate', { customerId: 'c1' })).toEqual({ local: true })
    const { story } = await call('summaries.ofCustomer', { customerId: 'c1' })
    expect(story).toMatchObject({ provider: 'embedded', updatedOnDevice: true, itemCount: 2, coversItemId: 'm2' })
    expect(story!.generatedAt).toBeGreaterThanOrEqual(now)
    expect(await call('outbox.list', {})).toEqual([])
    // Written here, so it may be written again at once.
    expect(await call('summaries.regenerate', { customerId: 'c1' })).toEqual({ local: true })
    await expect(call('summaries.regenerate', { customerId: 'c2' })).rejects.toThrow(/no messages, calls or notes/)
  })

  it('rewrites even a story the server wrote moments ago: offline there is no model to spare', async () => {
    await start([...base, ['summary', serverStory({ generatedAt: Date.now() - 5_000 })]])
    expect(await call('summaries.regenerate', { customerId: 'c1' })).toEqual({ local: true })
    expect((await call('summaries.ofCustomer', { customerId: 'c1' })).story).toMatchObject({ provider: 'embedded', updatedOnDevice: true })
  })
})

/** The handlers over a cache of their own, with the sync engine standing in `status`. */
describe('summaries with the sync online', () => {
  let dir: { path: string; remove: () => void }
  let db: Database
  let status: SyncStatus
  const schedulePush = vi.fn()
  let emitted: unknown[]
  let handlers: ReturnType<typeof summaryHandlers>

  beforeEach(() => {
    dir = tempDir()
    db = openCache(dir.path, 'http://127.0.0.1:1')
    syncIn(db, base)
    status = 'online'
    emitted = []
    schedulePush.mockClear()
    const engine = {
      state: () => ({ status, pending: 0, failed: 0, cursor: 0, lastError: null, lastSyncedAt: null }),
      schedulePush,
    } as unknown as SyncLink
    const ctx: HandlerContext = { db, engine, serverUrl: 'http://127.0.0.1:1', token: 't', emit: (_e, payload) => emitted.push(payload) }
    handlers = summaryHandlers(ctx)
  })
  afterEach(() => {
    db.close()
    dir.remove()
  })

  it('leaves a stale server story to the server, reporting how far behind it is', async () => {
    syncIn(db, [['summary', serverStory()], ['message', m3]])
    const { story } = (await handlers['summaries.ofCustomer']({ customerId: 'c1' })) as IpcResults['summaries.ofCustomer']
    expect(story).toMatchObject({ provider: 'model', coversItemId: 'm2', staleness: { newItems: 1, newestAt: m3.sentAt } })
    expect(emitted).toEqual([])
    // The same story offline is brought up to date here.
    status = 'offline'
    const offline = (await handlers['summaries.ofCustomer']({ customerId: 'c1' })) as IpcResults['summaries.ofCustomer']
    expect(offline.story).toMatchObject({ provider: 'embedded', coversItemId: 'm3', staleness: { newItems: 0 } })
  })

  it('keeps a story of this device’s own up to date (the server’s may never reach this agent)', async () => {
    const first = (await handlers['summaries.ofCustomer']({ customerId: 'c1' })) as IpcResults['summaries.ofCustomer']
    expect(first.story).toMatchObject({ updatedOnDevice: true, coversItemId: 'm2' })
    syncIn(db, [['message', m3]])
    const next = (await handlers['summaries.ofCustomer']({ customerId: 'c1' })) as IpcResults['summaries.ofCustomer']
    expect(next.story).toMatchObject({ updatedOnDevice: true, coversItemId: 'm3', itemCount: 3, staleness: { newItems: 0 } })
  })

  it('queues one regeneration for the server and shows it as pending, then its refusal', async () => {
    syncIn(db, [['summary', serverStory()]])
    const first = (await handlers['summaries.regenerate']({ customerId: 'c1' })) as { mutationId: number }
    expect(first.mutationId).toEqual(expect.any(Number))
    expect(schedulePush).toHaveBeenCalled()
    expect(emitted).toEqual([{ entities: ['summary'], customerIds: ['c1'] }])
    expect(await handlers['summaries.regenerate']({ customerId: 'c1' })).toEqual(first)
    expect(countOutbox(db)).toEqual({ pending: 1, failed: 0 })
    expect(listAllOutbox(db).map((r) => [r.name, r.args, r.conversationId])).toEqual([['regenerateSummary', { customerId: 'c1' }, '']])
    const shown = (await handlers['summaries.ofCustomer']({ customerId: 'c1' })) as IpcResults['summaries.ofCustomer']
    expect(shown.regenerating).toEqual({ mutationId: first.mutationId, state: 'pending', error: null })
    // Not another customer's.
    expect(((await handlers['summaries.ofCustomer']({ customerId: 'c2' })) as IpcResults['summaries.ofCustomer']).regenerating).toBeNull()
    db.prepare(`UPDATE outbox SET state = 'failed', error = 'try later' WHERE mutation_id = ?`).run(first.mutationId)
    expect(((await handlers['summaries.ofCustomer']({ customerId: 'c1' })) as IpcResults['summaries.ofCustomer']).regenerating).toEqual({
      mutationId: first.mutationId,
      state: 'failed',
      error: 'try later',
    })
    // The server's story stays as it was: a regeneration shows nothing until the new one arrives.
    expect(getEntity(db, 'summary', 'story:c1')).toEqual({ current: serverStory(), server: serverStory() })
  })

  it('refuses a regeneration within the cooldown before queuing it', async () => {
    syncIn(db, [['summary', serverStory({ generatedAt: Date.now() - REGENERATE_COOLDOWN_MS / 2 })]])
    await expect(handlers['summaries.regenerate']({ customerId: 'c1' })).rejects.toThrow(/can be written afresh in \d+ s/)
    expect(countOutbox(db)).toEqual({ pending: 0, failed: 0 })
  })
})
