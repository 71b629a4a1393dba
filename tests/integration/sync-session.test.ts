import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Conversation } from '../../src/shared/domain'
import type { ConversationListItem, OutboxEntry, Session } from '../../src/shared/ipc'
import type { Core } from '../../src/core/core'
import { createCore, IpcError } from '../../src/core/index'
import { seedDemo } from '../../src/server/demo/seed'
import type { SyncServer } from '../../src/server/server'
import {
  agentWithToken,
  materialize,
  pullChangeLog,
  readCache,
  startTestServer,
  syncState,
  tempDir,
  waitFor,
  waitUntilSynced,
} from './support/sync-harness'

let dir: ReturnType<typeof tempDir>
let server: SyncServer
let dbPath: string
const cores: Core[] = []

async function open(dataDir: string, token: string): Promise<Core> {
  const core = await createCore({ dataDir, serverUrl: server.url, token, batchSize: 100 })
  cores.push(core)
  return core
}

async function closeAll(): Promise<void> {
  await Promise.all(cores.splice(0).map((c) => c.close()))
}

beforeEach(async () => {
  dir = tempDir()
  dbPath = join(dir.path, 'server.sqlite')
  server = await startTestServer(dbPath)
  await seedDemo(server, { seed: 2, customers: 5, conversationsPerCustomer: 2, messagesPerConversation: 3, now: Date.UTC(2025, 0, 15) })
})

afterEach(async () => {
  await closeAll()
  await server.close()
  dir.remove()
})

describe('who is signed in', () => {
  it('a fresh cache learns its user from the server', async () => {
    const agent = await agentWithToken(server, 'Sam Session')
    const core = await open(join(dir.path, 'c'), agent.token)
    const session = (await core.handle('session.get', {})) as Session
    expect(session).toEqual({ user: expect.objectContaining({ id: agent.user.id, name: 'Sam Session' }), serverUrl: server.url })
    await waitUntilSynced(core, server)
    const mine = (await core.handle('inbox.list', { view: 'mine' })) as ConversationListItem[]
    expect(mine).toEqual([])
  })

  it('a refused token stops syncing with a clear error', async () => {
    const core = await open(join(dir.path, 'c'), 'not-a-real-token')
    const state = await waitFor('the refusal', async () => {
      const s = await syncState(core)
      return s.lastError?.includes('unauthorized') ? s : false
    })
    expect(state).toMatchObject({ status: 'offline', cursor: 0 })
    expect(state.lastError).toMatch(/refused the sign-in token/)
    const err = await core.handle('session.get', {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(IpcError)
    expect((err as IpcError).message).toMatch(/Not signed in yet.*unauthorized/)
    await new Promise((r) => setTimeout(r, 1_500))
    expect((await syncState(core)).lastError).toBe(state.lastError)
  })

  it("another user's cache is started afresh, or refused while it holds their unsent actions", async () => {
    const ann = await agentWithToken(server, 'Ann Owner')
    const ben = await agentWithToken(server, 'Ben Other')
    const dataDir = join(dir.path, 'shared-device')

    let core = await open(dataDir, ann.token)
    await waitUntilSynced(core, server)
    const target = ((await core.handle('inbox.list', {})) as ConversationListItem[])[0]!
    const port = server.port
    await server.close()
    await core.handle('conversation.note', { conversationId: target.id, text: 'Ann wrote this offline' })
    await closeAll()
    server = await startTestServer(dbPath, port)

    core = await open(dataDir, ben.token)
    const refused = await waitFor('the refusal', async () => {
      const s = await syncState(core)
      return s.lastError?.includes('never reached it') ? s : false
    })
    expect(refused).toMatchObject({ status: 'offline', pending: 1 })
    await closeAll()
    expect(readCache(dataDir).outbox.pending).toBe(1)

    // Ann signs in again, her note goes out; then Ben gets a clean cache of his own.
    core = await open(dataDir, ann.token)
    await waitUntilSynced(core, server)
    await closeAll()
    core = await open(dataDir, ben.token)
    await waitUntilSynced(core, server)
    expect(((await core.handle('session.get', {})) as Session).user.id).toBe(ben.user.id)
    const truth = materialize(await pullChangeLog(server.url, ben.token))
    expect(readCache(dataDir).server).toEqual(truth)
  })
})

describe('an action the server refuses', () => {
  it('is kept as failed with the reason, can be retried, and discarding undoes it', async () => {
    const agent = await agentWithToken(server, 'Fay Failed')
    const core = await open(join(dir.path, 'c'), agent.token)
    await waitUntilSynced(core, server)
    const target = ((await core.handle('inbox.list', {})) as ConversationListItem[])[0]!
    const { mutationId } = (await core.handle('conversation.assign', { conversationId: target.id, assigneeId: 'no-such-user' })) as {
      mutationId: number
    }
    const failed = await waitFor('the refusal', async () => {
      const s = await syncState(core)
      return s.failed === 1 ? s : false
    })
    expect(failed.pending).toBe(0)
    let row = ((await core.handle('inbox.list', {})) as ConversationListItem[]).find((c) => c.id === target.id)
    expect(row).toMatchObject({ assigneeId: 'no-such-user', pending: true })

    const [entry] = (await core.handle('outbox.list', { state: 'failed' })) as OutboxEntry[]
    expect(entry).toMatchObject({ mutationId, name: 'assign', conversationId: target.id, customerId: target.customerId, state: 'failed' })
    expect(entry?.error).toMatch(/unknown user no-such-user/)

    const retried = (await core.handle('outbox.retry', { mutationId })) as { mutationId: number }
    expect(retried.mutationId).toBeGreaterThan(mutationId)
    await waitFor('the second refusal', async () => {
      const s = await syncState(core)
      return s.failed === 1 && s.pending === 0
    })
    await expect(core.handle('outbox.retry', { mutationId })).rejects.toMatchObject({ code: 'not_found' })
    expect(readCache(join(dir.path, 'c')).outbox).toEqual({ pending: 0, failed: 1 })

    await core.handle('outbox.discard', { mutationId: retried.mutationId })
    row = ((await core.handle('inbox.list', {})) as ConversationListItem[]).find((c) => c.id === target.id)
    const serverRow = materialize(await pullChangeLog(server.url, agent.token)).get(`conversation:${target.id}`) as Conversation
    expect(row).toMatchObject({ assigneeId: serverRow.assigneeId, pending: false })
    expect(await syncState(core)).toMatchObject({ pending: 0, failed: 0 })
  })
})
