import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { io, type Socket } from 'socket.io-client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CHAT_SOCKET_PATH, type ChatAck, type ChatClientToServerEvents, type ChatServerToClientEvents, type SendResponse } from '../../src/shared/chat'
import type { IpcEventMessage, IpcEvents } from '../../src/shared/ipc'
import type { Core } from '../../src/core/core'
import { createCore } from '../../src/core/index'
import { api, startTestServer, userWithToken, type TestServer } from './server-fixtures'
import { waitFor, waitUntilSynced } from './support/sync-harness'

const INBOX = 'Website chat'

let t: TestServer
let core: Core | null = null
let visitor: Socket<ChatServerToClientEvents, ChatClientToServerEvents> | null = null

beforeEach(async () => {
  t = await startTestServer({
    inboxes: [{ name: INBOX, channel: 'chat', connector: { type: 'webchat', secret: 'customer-typing-secret-0123456789', allowedOrigins: ['*'], title: 'Support' } }],
  })
})

afterEach(async () => {
  visitor?.close()
  visitor = null
  await core?.close()
  core = null
  await t.cleanup()
})

describe('a chat visitor typing, relayed by the client core', () => {
  it('emits customer.typing to the renderer when the visitor starts and stops typing', async () => {
    const agent = await userWithToken(t.server, 'Alex Morgan')
    core = await createCore({ dataDir: join(t.dir, 'alex'), serverUrl: t.server.url, token: agent.token })
    const heard: IpcEvents['customer.typing'][] = []
    core.subscribe((m: IpcEventMessage) => {
      if (m.event === 'customer.typing') heard.push(m.payload as IpcEvents['customer.typing'])
    })
    await waitUntilSynced(core, t.server)

    const socket: NonNullable<typeof visitor> = io(t.server.url, { path: CHAT_SOCKET_PATH, auth: { inbox: INBOX }, transports: ['websocket'], reconnection: false, extraHeaders: { origin: 'https://shop.example' } })
    visitor = socket
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve())
      socket.once('connect_error', reject)
    })
    await socket.emitWithAck('join', {})
    await socket.emitWithAck('identify', { name: 'Robin Park' })
    // Typing only reaches agents once there is a conversation to watch: the first message makes it.
    const sent = (await socket.emitWithAck('send', { clientMessageId: randomUUID(), text: 'Is the brass lamp in stock?' })) as ChatAck<SendResponse>
    expect(sent).toMatchObject({ message: { from: 'visitor' } })

    socket.emit('typing', { typing: true })
    const started = await waitFor('the visitor typing, relayed', () => heard.find((n) => n.typing), 10_000)
    expect(started.name).toBe('Robin Park')
    const listed = await api(t.server.url, 'GET', '/api/v1/conversations?channel=chat', { token: agent.token })
    expect(listed.body.items).toHaveLength(1)
    const [conversation] = listed.body.items as { id: string; customerId: string }[]
    expect(started).toMatchObject({ conversationId: conversation?.id, customerId: conversation?.customerId })

    socket.emit('typing', { typing: false })
    await waitFor('the visitor stopped typing, relayed', () => heard.at(-1)?.typing === false, 10_000)
  })
})
