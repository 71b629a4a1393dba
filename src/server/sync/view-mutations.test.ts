import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { systemActor, userActor } from '../../shared/actors'
import type { User } from '../../shared/domain'
import type { MutationName } from '../../shared/mutations'
import { openSqliteStore } from '../store/sqlite/sqlite-store'
import type { Store } from '../store/store'
import { ChangeFeed } from './commit'
import { applyMutation } from './mutations'
import { canSeeChange, scopeOf, viewerTokens } from './access'

/** Saved views of the inbox, saved, shared and deleted through the mutations, against a real SQLite store. */

let dir: string
let store: Store
let feed: ChangeFeed
const user = (id: string, role: User['role'], team: string | null): User => ({ id, name: id, email: `${id}@x.test`, role, team, inboxes: null, createdAt: 1 })
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-views-'))
  store = openSqliteStore(path.join(dir, 'server.sqlite'))
  feed = new ChangeFeed(store)
  await feed.as(systemActor('test'))(async (w) => {
    await w.put('user', user('ann', 'agent', 'Billing'))
    await w.put('user', user('ben', 'agent', null))
    await w.put('user', user('sue', 'supervisor', 'Support'))
  })
})
afterEach(async () => {
  await store.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

const run = async (who: string, name: MutationName, args: unknown) => applyMutation(feed.as(userActor(who)), (await store.getUser(who))!, { name, args })
/** The saved-view changes a user's pull receives, as "id name". */
async function viewsReaching(who: string): Promise<string[]> {
  const reader = (await store.getUser(who))!
  const { changes } = await store.changesAfter(0, 1000, scopeOf(reader), viewerTokens(reader))
  return changes.filter((c) => c.entity === 'savedView').map((c) => `${c.id} ${String(c.data?.name)}`)
}

const urgentWaiting = { status: ['open'], priorities: ['high', 'urgent'], waitingMinutes: 30, assignee: 'me' }

it('saves a view for its owner, shares it with their team, renames it and deletes it for every cache', async () => {
  expect(await run('ann', 'saveView', { viewId: 'v1', name: 'Urgent and waiting', filters: urgentWaiting })).toMatchObject({ outcome: 'applied' })
  expect(await store.getSavedView('v1')).toMatchObject({ ownerId: 'ann', team: null, filters: urgentWaiting, deletedAt: null })
  expect(await run('ann', 'saveView', { viewId: 'v1', name: 'Urgent, waiting', team: 'Billing', filters: urgentWaiting })).toMatchObject({ outcome: 'applied' })
  expect(await store.getSavedView('v1')).toMatchObject({ name: 'Urgent, waiting', team: 'Billing' })
  // Another agent can neither change nor delete it; everyone's cache hears of it.
  expect(await run('ben', 'saveView', { viewId: 'v1', name: 'mine now', filters: {} })).toMatchObject({ outcome: 'rejected', error: expect.stringContaining('someone else’s') })
  expect(await run('ben', 'deleteView', { viewId: 'v1' })).toMatchObject({ outcome: 'rejected', error: expect.stringContaining('someone else’s') })
  expect(await viewsReaching('ben')).toEqual([])

  expect(await run('ann', 'deleteView', { viewId: 'v1' })).toMatchObject({ outcome: 'applied' })
  expect((await store.getSavedView('v1'))?.deletedAt).toEqual(expect.any(Number))
  expect(await run('ann', 'deleteView', { viewId: 'v1' })).toMatchObject({ outcome: 'duplicate' })
  expect(await run('ann', 'saveView', { viewId: 'v1', name: 'back', filters: {} })).toMatchObject({ outcome: 'rejected', error: expect.stringContaining('was deleted') })
  expect(await run('ann', 'deleteView', { viewId: 'nope' })).toMatchObject({ outcome: 'rejected', error: 'unknown view nope' })
})

it('syncs a view only to its owner and the team it is shared with, and tells a team it leaves', async () => {
  await feed.as(systemActor('test'))(async (w) => {
    await w.put('user', user('bill', 'agent', 'Billing'))
  })
  expect(await run('ann', 'saveView', { viewId: 'p1', name: 'Mine', filters: {} })).toMatchObject({ outcome: 'applied' })
  expect(await viewsReaching('ann')).toEqual(['p1 Mine'])
  expect(await viewsReaching('bill')).toEqual([])
  expect(await viewsReaching('sue')).toEqual([])
  expect(await run('ann', 'saveView', { viewId: 'p1', name: 'Ours', team: 'Billing', filters: {} })).toMatchObject({ outcome: 'applied' })
  expect(await viewsReaching('bill')).toEqual(['p1 Ours'])
  // Taken back: Bill's cache hears of it (the view is no longer shared), then nothing more.
  expect(await run('ann', 'saveView', { viewId: 'p1', name: 'Mine again', team: null, filters: {} })).toMatchObject({ outcome: 'applied' })
  expect(await viewsReaching('bill')).toEqual(['p1 Ours', 'p1 Mine again'])
  expect(await run('ann', 'saveView', { viewId: 'p1', name: 'Private', team: null, filters: {} })).toMatchObject({ outcome: 'applied' })
  expect(await viewsReaching('bill')).toEqual(['p1 Ours', 'p1 Mine again'])
  expect(await viewsReaching('ann')).toHaveLength(4)
  // The live path uses the same rule as the pull.
  const latest = (await store.changesSince(0, 100)).filter((c) => c.entity === 'savedView').at(-1)!
  expect(canSeeChange((await store.getUser('ann'))!, latest, new Set())).toBe(true)
  expect(canSeeChange((await store.getUser('bill'))!, latest, new Set())).toBe(false)
  expect(canSeeChange((await store.getUser('sue'))!, latest, new Set())).toBe(false)
})

it('shares only with the agent’s own team, while a supervisor may share with any', async () => {
  expect(await run('ann', 'saveView', { viewId: 'v2', name: 'x', team: 'Support', filters: {} })).toMatchObject({
    outcome: 'rejected',
    error: 'you can share a view with your own team (Billing) only',
  })
  expect(await run('ben', 'saveView', { viewId: 'v3', name: 'x', team: 'Support', filters: {} })).toMatchObject({ outcome: 'rejected', error: 'you are in no team to share a view with' })
  expect(await run('sue', 'saveView', { viewId: 'v4', name: 'Billing backlog', team: 'Billing', filters: { teams: ['Billing'] } })).toMatchObject({ outcome: 'applied' })
  expect(await run('ann', 'saveView', { viewId: 'v5', name: '', filters: {} })).toMatchObject({ outcome: 'rejected', error: expect.stringContaining('a view needs a name') })
  expect(await run('ann', 'saveView', { viewId: 'v6', name: 'bad', filters: { priorities: ['asap'] } })).toMatchObject({ outcome: 'rejected', error: expect.stringContaining('priorities') })
})
