import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { InboundArrived, IpcEventMessage } from '../../src/shared/ipc'
import type { Core } from '../../src/core/core'
import { createCore } from '../../src/core/index'
import type { SyncServer } from '../../src/server/server'
import { agentWithToken, startTestServer, syncState, tempDir, waitFor, waitUntilSynced } from './support/sync-harness'

let dir: ReturnType<typeof tempDir>
let dbPath: string
let server: SyncServer
let core: Core | null = null

beforeEach(async () => {
  dir = tempDir('threadline-notify-')
  dbPath = join(dir.path, 'server.sqlite')
  server = await startTestServer(dbPath)
})

afterEach(async () => {
  await core?.close()
  core = null
  await server.close()
  dir.remove()
})

const sms = (n: number, phone: string) => ({
  channel: 'sms' as const,
  inbox: 'SMS',
  externalId: `SM-notify-${n}`,
  from: { kind: 'phone' as const, address: phone },
  text: `message ${n}`,
})

describe('inbound notifications from the client core', () => {
  it('announces live messages one by one and a reconnect catch-up as one batch, only for the agent’s own conversations', async () => {
    const me = await agentWithToken(server, 'Ann Owner')
    const phones = ['+14155550141', '+14155550142', '+14155550143', '+14155550144']
    const conversations: string[] = []
    for (const [i, phone] of phones.entries()) conversations.push((await server.ingest(sms(i, phone))).conversationId)
    // Three conversations are Ann's; the fourth belongs to nobody and must stay quiet.
    for (const conversationId of conversations.slice(0, 3)) {
      expect((await server.applyMutation(me.user, { name: 'assign', args: { conversationId, assigneeId: me.user.id } })).outcome).toBe('applied')
    }

    core = await createCore({ dataDir: join(dir.path, 'ann'), serverUrl: server.url, token: me.token, batchSize: 2 })
    const heard: InboundArrived[] = []
    core.subscribe((m: IpcEventMessage) => {
      if (m.event === 'inbound.arrived') heard.push(m.payload as InboundArrived)
    })
    await waitUntilSynced(core, server)
    // The first download of a cache is history, not news.
    expect(heard).toEqual([])

    await server.ingest(sms(10, phones[0]!))
    await server.ingest(sms(11, phones[3]!))
    await waitFor('the live message', () => heard.length === 1)
    expect(heard[0]).toMatchObject({ batched: false, items: [{ conversationId: conversations[0], preview: 'message 10' }] })

    // Offline: five messages reach the server (another instance on the same database) meanwhile.
    const port = server.port
    await server.close()
    await waitFor('the core to notice', async () => (await syncState(core!)).status === 'offline')
    const meanwhile = await startTestServer(dbPath)
    for (const [n, phone] of [phones[0], phones[1], phones[1], phones[2], phones[2], phones[3]].entries()) {
      await meanwhile.ingest(sms(20 + n, phone!))
    }
    await meanwhile.close()
    server = await startTestServer(dbPath, port)
    // batchSize 2: the catch-up comes in several pull batches, but it is announced once.
    await waitUntilSynced(core, server)
    await waitFor('the catch-up announcement', () => heard.length === 2)
    await new Promise((r) => setTimeout(r, 200))
    expect(heard).toHaveLength(2)
    expect(heard[1]?.batched).toBe(true)
    expect(heard[1]?.items.map((i) => i.preview)).toEqual(['message 20', 'message 21', 'message 22', 'message 23', 'message 24'])
    expect(new Set(heard[1]?.items.map((i) => i.conversationId))).toEqual(new Set(conversations.slice(0, 3)))
  })
})
