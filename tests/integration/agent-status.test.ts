import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  connectClient,
  latestStatus as statusIn,
  startTestServer,
  userWithToken,
  waitFor,
  type SyncClient,
  type TestServer,
} from './server-fixtures'

/** Supervisors watch every user go online, away and offline over the sync socket; agents are told nothing. */

let t: TestServer
const sockets: SyncClient[] = []

beforeEach(async () => {
  t = await startTestServer()
})

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close()
  await t.cleanup()
})

async function client(token: string) {
  const { socket, agentLists } = await connectClient(t.server.url, token)
  sockets.push(socket)
  return { socket, lists: agentLists }
}

describe('agent status over the sync socket', () => {
  it('shows supervisors each agent online, away and offline, and tells agents nothing', async () => {
    const started = Date.now()
    const boss = await userWithToken(t.server, 'Maya Chief', { role: 'supervisor' })
    const priya = await userWithToken(t.server, 'Priya Rao')
    const sam = await userWithToken(t.server, 'Sam Lee')

    const s = await client(boss.token)
    // On connecting, the supervisor gets everyone: themself online, agents who never connected offline since they were created.
    await waitFor(() => s.lists.length > 0, 'the first list')
    expect(s.lists[0]).toEqual(
      expect.arrayContaining([
        { userId: priya.user.id, status: 'offline', since: priya.user.createdAt },
        { userId: sam.user.id, status: 'offline', since: sam.user.createdAt },
      ]),
    )
    expect(statusIn(s.lists, boss.user.id)?.status).toBe('online')

    const p = await client(priya.token)
    await waitFor(() => statusIn(s.lists, priya.user.id)?.status === 'online', 'Priya online')
    const online = statusIn(s.lists, priya.user.id)!
    expect(online.since).toBeGreaterThanOrEqual(started)
    expect(statusIn(s.lists, sam.user.id)?.status).toBe('offline')

    expect(await p.socket.emitWithAck('status', { away: true })).toEqual({ ok: true })
    await waitFor(() => statusIn(s.lists, priya.user.id)?.status === 'away', 'Priya away')
    expect(statusIn(s.lists, priya.user.id)!.since).toBeGreaterThanOrEqual(online.since)

    const sm = await client(sam.token)
    const samOnline = await waitFor(() => statusIn(s.lists, sam.user.id)?.status === 'online' && statusIn(s.lists, sam.user.id), 'Sam online')

    p.socket.close()
    await waitFor(() => statusIn(s.lists, priya.user.id)?.status === 'offline', 'Priya offline')
    // Sam's status did not move, nor its time.
    expect(statusIn(s.lists, sam.user.id)).toEqual(samOnline)

    const bad = await sm.socket.emitWithAck('status', { away: 'yes' } as never)
    expect(bad).toMatchObject({ error: { code: 'bad_request' } })
    // Agents never receive the list, not on connecting and not on a change.
    expect(p.lists).toEqual([])
    expect(sm.lists).toEqual([])
  })

  it('keeps a user with two connections online while only one of them is away', async () => {
    const boss = await userWithToken(t.server, 'Maya Chief', { role: 'admin' })
    const priya = await userWithToken(t.server, 'Priya Rao')
    const s = await client(boss.token)
    const laptop = await client(priya.token)
    const phone = await client(priya.token)
    await waitFor(() => statusIn(s.lists, priya.user.id)?.status === 'online', 'Priya online')
    const heard = s.lists.length

    await laptop.socket.emitWithAck('status', { away: true })
    // Settles well past the coalescing window: nothing to tell, so nothing is sent.
    await new Promise((r) => setTimeout(r, 400))
    expect(s.lists.length).toBe(heard)
    expect(statusIn(s.lists, priya.user.id)?.status).toBe('online')

    await phone.socket.emitWithAck('status', { away: true })
    await waitFor(() => statusIn(s.lists, priya.user.id)?.status === 'away', 'Priya away on both')
    await phone.socket.emitWithAck('status', { away: false })
    await waitFor(() => statusIn(s.lists, priya.user.id)?.status === 'online', 'Priya back on one')
    phone.socket.close()
    await waitFor(() => statusIn(s.lists, priya.user.id)?.status === 'away', 'Priya away: her only connection left is')
  })

  it('sends one list for changes close together', async () => {
    const boss = await userWithToken(t.server, 'Maya Chief', { role: 'supervisor' })
    const agents = await Promise.all(['Ana One', 'Ben Two', 'Cy Three', 'Di Four'].map((name) => userWithToken(t.server, name)))
    const s = await client(boss.token)
    await waitFor(() => s.lists.length > 0, 'the first list')
    const before = s.lists.length
    await Promise.all(agents.map((a) => client(a.token)))
    await waitFor(() => agents.every((a) => statusIn(s.lists, a.user.id)?.status === 'online'), 'everyone online')
    await new Promise((r) => setTimeout(r, 300))
    // Four connections within a few milliseconds of each other: one list, at most two if they straddled a round.
    expect(s.lists.length - before).toBeLessThanOrEqual(2)
  })
})
