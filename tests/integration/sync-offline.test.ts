import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Conversation } from '../../src/shared/domain'
import type { ConversationListItem, TimelinePage } from '../../src/shared/ipc'
import type { Core } from '../../src/core/core'
import { createCore } from '../../src/core/index'
import { seedDemo } from '../../src/server/demo/seed'
import type { SyncServer } from '../../src/server/server'
import {
  agentWithToken,
  countByEntity,
  materialize,
  pullChangeLog,
  readCache,
  startTestServer,
  syncState,
  tempDir,
  waitFor,
  waitForQuietServer,
  waitUntilSynced,
} from './support/sync-harness'

let dir: ReturnType<typeof tempDir>
let server: SyncServer
let core: Core | null = null
let dbPath: string
let port: number

beforeEach(async () => {
  dir = tempDir()
  dbPath = join(dir.path, 'server.sqlite')
  server = await startTestServer(dbPath)
  port = server.port
  await seedDemo(server, { seed: 7, customers: 8, conversationsPerCustomer: 2, messagesPerConversation: 3, now: Date.UTC(2025, 0, 15) })
})

afterEach(async () => {
  await core?.close()
  core = null
  await server.close()
  dir.remove()
})

describe('actions taken while the server is down', () => {
  it('are queued, shown pending, survive a client restart and reach the server exactly once', async () => {
    const agent = await agentWithToken(server, 'Olive Offline')
    const dataDir = join(dir.path, 'client')
    const open = () => createCore({ dataDir, serverUrl: server.url, token: agent.token, batchSize: 50 })
    core = await open()
    await waitUntilSynced(core, server)

    const inbox = (await core.handle('inbox.list', { status: 'resolved' })) as ConversationListItem[]
    // A call is answered by calling back, not by a reply.
    const target = inbox.find((c) => c.channel !== 'voice')
    if (!target) throw new Error('the demo data has no resolved written conversation')
    const before = await server.counts()
    await server.close()
    await waitFor('the client to notice', async () => (await syncState(core!)).status === 'offline')

    const reply = (await core.handle('conversation.reply', { conversationId: target.id, text: 'Sorry, we reopened this for you.' })) as {
      messageId: string
    }
    const note = (await core.handle('conversation.note', { conversationId: target.id, text: 'Customer called back while we were offline' })) as {
      noteId: string
    }
    await core.handle('conversation.assign', { conversationId: target.id, assigneeId: agent.user.id })
    await core.handle('conversation.setStatus', { conversationId: target.id, status: 'pending' })

    // Shown at once, marked as not yet on the server.
    let state = await syncState(core)
    expect(state).toMatchObject({ status: 'offline', pending: 4, failed: 0 })
    const listed = ((await core.handle('inbox.list', {})) as ConversationListItem[]).find((c) => c.id === target.id)
    expect(listed).toMatchObject({ pending: true, status: 'pending', assigneeId: agent.user.id, assigneeName: 'Olive Offline' })
    const page = (await core.handle('customer.timeline', { customerId: target.customerId })) as TimelinePage
    const shown = new Map(page.items.map((i) => [i.item.id, i]))
    expect(shown.get(reply.messageId)).toMatchObject({ item: { deliveryStatus: 'queued' }, outbox: { state: 'pending' } })
    expect(shown.get(note.noteId)).toMatchObject({ outbox: { state: 'pending' } })

    // The client restarts while still offline: the outbox is on disk, not in memory.
    await core.close()
    core = await open()
    state = await syncState(core)
    expect(state.pending).toBe(4)

    server = await startTestServer(dbPath, port)
    await waitUntilSynced(core, server)
    await waitForQuietServer(server)
    await waitUntilSynced(core, server)

    const after = await server.counts()
    expect(after.messages).toBe(before.messages + 1)
    expect(after.conversations).toBe(before.conversations)

    const log = await pullChangeLog(server.url, agent.token)
    const serverState = materialize(log)
    const conversation = serverState.get(`conversation:${target.id}`) as Conversation
    expect(conversation).toMatchObject({ status: 'pending', assigneeId: agent.user.id })
    expect(serverState.get(`message:${reply.messageId}`)).toMatchObject({ text: 'Sorry, we reopened this for you.', direction: 'outbound' })
    expect(serverState.get(`note:${note.noteId}`)).toMatchObject({ text: 'Customer called back while we were offline' })
    const eventsOfTarget = [...serverState.values()].filter(
      (v): v is { conversationId: string; type: string; createdAt: number } =>
        typeof v === 'object' && v !== null && (v as { conversationId?: string }).conversationId === target.id && 'type' in v,
    )
    const sinceOffline = eventsOfTarget.filter((e) => e.createdAt >= Date.UTC(2025, 0, 16))
    expect(sinceOffline.filter((e) => e.type === 'assigned')).toHaveLength(1)
    expect(sinceOffline.filter((e) => e.type === 'status_changed')).toHaveLength(1)

    // The cache holds exactly the server's state, with nothing optimistic left over.
    const cache = readCache(dataDir)
    expect(cache.outbox).toEqual({ pending: 0, failed: 0 })
    expect(cache.server).toEqual(serverState)
    expect(cache.current).toEqual(serverState)
    const synced = (await core.handle('customer.timeline', { customerId: target.customerId })) as TimelinePage
    const sent = synced.items.find((i) => i.item.id === reply.messageId)
    expect(sent?.outbox).toBeNull()
    expect((sent?.item as { deliveryStatus: string }).deliveryStatus).not.toBe('queued')

    // Another restart of both sides sends nothing twice.
    await core.close()
    await server.close()
    server = await startTestServer(dbPath, port)
    core = await open()
    await waitUntilSynced(core, server)
    expect((await server.counts()).messages).toBe(after.messages)
    expect(countByEntity(materialize(await pullChangeLog(server.url, agent.token)))).toEqual(countByEntity(serverState))
  })
})
