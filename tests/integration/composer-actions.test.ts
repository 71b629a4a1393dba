import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Core } from '../../src/core/core'
import { createCore } from '../../src/core/index'
import type { CustomerProfile, TimelinePage } from '../../src/shared/ipc'
import type { SyncServer } from '../../src/server/server'
import { agentWithToken, materialize, pullChangeLog, readCache, startTestServer, syncState, tempDir, waitFor, waitUntilSynced } from './support/sync-harness'

/**
 * Starting a conversation on a new channel and logging a call: shown at once from the cache
 * while the server is down, created on the server once it is back, and nothing left optimistic.
 */

let dir: ReturnType<typeof tempDir>
let server: SyncServer
let core: Core | null = null
let dbPath: string
let customerId: string

beforeEach(async () => {
  dir = tempDir()
  dbPath = join(dir.path, 'server.sqlite')
  server = await startTestServer(dbPath)
  ;({ customerId } = await server.ingest({
    channel: 'sms',
    inbox: 'SMS',
    externalId: 'SM1',
    from: { kind: 'phone', address: '+14155550101', name: 'Maya Lindqvist' },
    text: 'Is my order on its way?',
    sentAt: Date.now() - 60_000,
  }))
})
afterEach(async () => {
  await core?.close()
  core = null
  await server.close()
  dir.remove()
})

describe('composer actions that start conversations', () => {
  it('are shown offline at once and land on the server, in the customer’s inbox, once it is back', async () => {
    const agent = await agentWithToken(server, 'Alex Morgan')
    const dataDir = join(dir.path, 'client')
    core = await createCore({ dataDir, serverUrl: server.url, token: agent.token })
    await waitUntilSynced(core, server)
    const port = server.port

    await server.close()
    await waitFor('the client to notice', async () => (await syncState(core!)).status === 'offline')

    // WhatsApp needs no conversation of hers: it starts one in the inbox of the newest WhatsApp conversation known (none here).
    await expect(core.handle('conversation.start', { customerId, channel: 'whatsapp', text: 'hi' })).rejects.toThrow(/No whatsapp inbox is known/)
    await expect(core.handle('conversation.start', { customerId, channel: 'email', text: 'hi' })).rejects.toThrow(/needs a subject/)
    const started = (await core.handle('conversation.start', { customerId, channel: 'sms', text: 'Yes, it ships today.' })) as {
      conversationId: string
      messageId: string
    }
    const logged = (await core.handle('call.log', { customerId, direction: 'outbound', outcome: 'voicemail', durationSeconds: 42, notes: 'Left a voicemail' })) as {
      callId: string
      conversationId: string
    }

    const profile = (await core.handle('customer.get', { customerId })) as CustomerProfile
    expect(profile.conversations.find((c) => c.id === started.conversationId)).toMatchObject({ channel: 'sms', inbox: 'SMS', status: 'open' })
    expect(profile.conversations.find((c) => c.id === logged.conversationId)).toMatchObject({ channel: 'voice', inbox: 'SMS' })
    const page = (await core.handle('customer.timeline', { customerId })) as TimelinePage
    const shown = new Map(page.items.map((i) => [i.item.id, i]))
    expect(shown.get(started.messageId)).toMatchObject({ kind: 'message', item: { text: 'Yes, it ships today.', deliveryStatus: 'queued' }, outbox: { state: 'pending' } })
    expect(shown.get(logged.callId)).toMatchObject({ kind: 'call', item: { outcome: 'voicemail', durationSeconds: 42, notes: 'Left a voicemail' } })

    server = await startTestServer(dbPath, port)
    await waitUntilSynced(core, server)
    const onServer = materialize(await pullChangeLog(server.url, agent.token))
    expect(onServer.get(`conversation:${started.conversationId}`)).toMatchObject({ channel: 'sms', inbox: 'SMS', customerId, assigneeId: agent.user.id })
    expect(onServer.get(`message:${started.messageId}`)).toMatchObject({ conversationId: started.conversationId, text: 'Yes, it ships today.' })
    expect(onServer.get(`call:${logged.callId}`)).toMatchObject({ conversationId: logged.conversationId, outcome: 'voicemail', direction: 'outbound', agentId: agent.user.id })

    // A second call goes into the same voice conversation.
    const again = (await core.handle('call.log', { customerId, direction: 'inbound', outcome: 'answered', durationSeconds: 300 })) as { conversationId: string }
    expect(again.conversationId).toBe(logged.conversationId)
    await waitUntilSynced(core, server)
    const cache = readCache(dataDir)
    expect(cache.outbox).toEqual({ pending: 0, failed: 0 })
    expect(cache.current).toEqual(cache.server)
    const conversations = ((await core.handle('customer.get', { customerId })) as CustomerProfile).conversations
    expect(conversations.map((c) => c.channel).sort()).toEqual(['sms', 'sms', 'voice'])
  })

  it('start from the inbox the agent names, even on a channel this device has no conversation on', async () => {
    const agent = await agentWithToken(server, 'Alex Morgan')
    core = await createCore({ dataDir: join(dir.path, 'client'), serverUrl: server.url, token: agent.token })
    await waitUntilSynced(core, server)
    const started = (await core.handle('conversation.start', { customerId, channel: 'email', inbox: 'Orders', subject: 'Your replacement kettle', text: 'It ships today.' })) as {
      conversationId: string
    }
    const profile = (await core.handle('customer.get', { customerId })) as CustomerProfile
    expect(profile.conversations.find((c) => c.id === started.conversationId)).toMatchObject({ channel: 'email', inbox: 'Orders', subject: 'Your replacement kettle' })
    await waitUntilSynced(core, server)
    const onServer = materialize(await pullChangeLog(server.url, agent.token))
    expect(onServer.get(`conversation:${started.conversationId}`)).toMatchObject({ channel: 'email', inbox: 'Orders', subject: 'Your replacement kettle', customerId })
  })
})
