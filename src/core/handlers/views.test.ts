import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SavedView } from '../../shared/domain'
import type { IpcArgs, IpcMethod, IpcResults } from '../../shared/ipc'
import type { Database } from 'better-sqlite3'
import { openCache } from '../db/open'
import { failOutbox } from '../db/queries'
import { applyBatch } from '../sync/apply'
import { changes, conversation, user } from '../testing/fixtures'
import { seededCore } from '../testing/seeded-core'

let seeded: Awaited<ReturnType<typeof seededCore>>
const call = <M extends IpcMethod>(method: M, args: IpcArgs<M>) => seeded.core.handle(method, args) as Promise<IpcResults[M]>

const MINUTE = 60_000
const now = Date.now()
const teammates: SavedView = {
  id: 'shared-1',
  name: 'Team backlog',
  ownerId: 'u2',
  team: 'Support',
  filters: { assignee: 'unassigned' },
  createdAt: 1,
  updatedAt: 1,
  deletedAt: null,
}
const seed = [
  ['user', user('me', { team: 'Support' })],
  ['user', user('u2', { team: 'Support' })],
  ['conversation', conversation('urgent-waiting', 'c1', { priority: 'urgent', waitingSince: now - 30 * MINUTE })],
  ['conversation', conversation('urgent-answered', 'c1', { priority: 'urgent', assigneeId: 'me' })],
  ['conversation', conversation('normal-waiting', 'c1', { waitingSince: now - 30 * MINUTE, assigneeId: 'me' })],
  ['savedView', teammates],
] as Parameters<typeof changes>[1]

beforeEach(async () => {
  seeded = await seededCore('me', seed)
})
afterEach(() => seeded.close())

/** Changes the cache as the sync engine would, beside the running core. */
function inCache(change: (db: Database) => void): void {
  const db = openCache(seeded.dir.path, seeded.serverUrl)
  change(db)
  db.close()
}

const urgentAndWaiting = { name: 'Urgent and waiting', team: 'Support', filters: { priorities: ['urgent' as const], waitingMinutes: 10 } }

describe('saved views in the core', () => {
  it('saves a view offline: queued for the server and listed at once, with its count', async () => {
    const { viewId, mutationId } = await call('views.save', urgentAndWaiting)
    const views = await call('views.list', {})
    expect(views.map((v) => v.name)).toEqual(['Team backlog', 'Urgent and waiting'])
    expect(views[1]).toMatchObject({ id: viewId, ownerId: 'me', team: 'Support', mine: true, outbox: { mutationId, state: 'pending' } })
    expect(views[0]).toMatchObject({ mine: false, outbox: null })
    expect(await call('views.counts', {})).toEqual({ [viewId]: 1, 'shared-1': 1 })
    const outbox = await call('outbox.list', {})
    expect(outbox.map((o) => [o.name, (o.args as { viewId: string }).viewId])).toEqual([['saveView', viewId]])
  })

  it('opens a view in the inbox list, by id or by its filters', async () => {
    const { viewId } = await call('views.save', urgentAndWaiting)
    expect((await call('inbox.list', { savedView: viewId })).map((c) => c.id)).toEqual(['urgent-waiting'])
    expect((await call('inbox.list', { filters: { assignee: 'me' }, sort: 'priority' })).map((c) => c.id)).toEqual(['urgent-answered', 'normal-waiting'])
    // The list's own fields narrow further.
    expect(await call('inbox.list', { savedView: viewId, status: 'resolved' })).toEqual([])
    await expect(call('inbox.list', { savedView: 'no-such-view' })).rejects.toThrow(/not in this device's cache/)
  })

  it('changes and deletes its own views only', async () => {
    const { viewId } = await call('views.save', urgentAndWaiting)
    await call('views.save', { ...urgentAndWaiting, viewId, name: 'Urgent', filters: { priorities: ['urgent'] } })
    expect(await call('views.counts', {})).toMatchObject({ [viewId]: 2 })
    await expect(call('views.delete', { viewId: 'shared-1' })).rejects.toThrow(/someone else’s view/)
    await expect(call('views.save', { ...urgentAndWaiting, viewId: 'shared-1' })).rejects.toThrow(/someone else’s view/)
    await call('views.delete', { viewId })
    expect((await call('views.list', {})).map((v) => v.id)).toEqual(['shared-1'])
    expect((await call('outbox.list', {})).map((o) => o.name)).toEqual(['saveView', 'saveView', 'deleteView'])
  })

  it("shows the server's refusal on the view until it is discarded, which removes a view the server never had", async () => {
    const { viewId, mutationId } = await call('views.save', { ...urgentAndWaiting, team: 'Billing' })
    inCache((db) => failOutbox(db, { mutationId, error: 'you can share a view with your own team (Support) only' }))
    const [, refused] = await call('views.list', {})
    expect(refused).toMatchObject({ id: viewId, outbox: { state: 'failed', error: 'you can share a view with your own team (Support) only' } })
    await call('outbox.discard', { mutationId })
    expect((await call('views.list', {})).map((v) => v.id)).toEqual(['shared-1'])
  })

  it('keeps a queued change over an older server copy of the view arriving meanwhile', async () => {
    const { viewId } = await call('views.save', { ...urgentAndWaiting, viewId: undefined })
    const serverCopy: SavedView = { ...teammates, id: viewId, ownerId: 'me', name: 'Old name', team: null }
    inCache((db) => applyBatch(db, { after: seed.length, cursor: seed.length + 1, changes: changes(seed.length + 1, [['savedView', serverCopy]]) }))
    expect((await call('views.list', {})).find((v) => v.id === viewId)?.name).toBe('Urgent and waiting')
  })
})
