import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { IpcEventMessage, IpcEvents } from '../../src/shared/ipc'
import type { PresenceNotice } from '../../src/shared/sync'
import type { Core } from '../../src/core/core'
import { createCore } from '../../src/core/index'
import type { SyncServer } from '../../src/server/server'
import { connectClient, type SyncClient } from './server-fixtures'
import { agentWithToken, startTestServer, tempDir, waitFor, waitUntilSynced } from './support/sync-harness'

let dir: ReturnType<typeof tempDir>
let server: SyncServer
const sockets: SyncClient[] = []
const cores: Core[] = []

beforeEach(async () => {
  dir = tempDir('threadline-presence-')
  server = await startTestServer(join(dir.path, 'server.sqlite'))
})

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close()
  await Promise.all(cores.splice(0).map((c) => c.close()))
  await server.close()
  dir.remove()
})

async function client(token: string): Promise<{ socket: SyncClient; notices: PresenceNotice[] }> {
  const { socket } = await connectClient(server.url, token)
  sockets.push(socket)
  const notices: PresenceNotice[] = []
  socket.on('presence', (n) => notices.push(n))
  return { socket, notices }
}

const latest = (notices: PresenceNotice[], conversationId: string) => notices.filter((n) => n.conversationId === conversationId).at(-1)

describe('collision presence over the sync socket', () => {
  it('tells other agents who is viewing and typing, and forgets an agent who leaves or disconnects', async () => {
    const { conversationId } = await server.ingest({ channel: 'sms', externalId: 'SM-p1', from: { kind: 'phone', address: '+14155550130' }, text: 'hi' })
    const other = await server.ingest({ channel: 'sms', externalId: 'SM-p2', from: { kind: 'phone', address: '+14155550131' }, text: 'hey' })
    const priya = await agentWithToken(server, 'Priya Rao')
    const sam = await agentWithToken(server, 'Sam Lee')
    const p = await client(priya.token)
    const s = await client(sam.token)

    expect(await p.socket.emitWithAck('viewing', { conversationId })).toEqual({ ok: true })
    await waitFor('Sam to see Priya viewing', () => latest(s.notices, conversationId)?.users.some((u) => u.name === 'Priya Rao' && !u.typing))

    await p.socket.emitWithAck('typing', { conversationId, typing: true })
    await waitFor('Sam to see Priya typing', () => latest(s.notices, conversationId)?.users.find((u) => u.userId === priya.user.id)?.typing)

    // Sam opens the same conversation and learns at once who is already there.
    await s.socket.emitWithAck('viewing', { conversationId })
    await waitFor('both listed', () => latest(s.notices, conversationId)?.users.length === 2)

    // Priya moves on: she no longer views or types in the first conversation.
    await p.socket.emitWithAck('viewing', { conversationId: other.conversationId })
    await waitFor('Priya gone from the first conversation', () => {
      const users = latest(s.notices, conversationId)?.users
      return users && users.length === 1 && users[0]?.userId === sam.user.id
    })

    p.socket.close()
    await waitFor('Priya gone after disconnecting', () => latest(s.notices, other.conversationId)?.users.length === 0)

    const bad = await s.socket.emitWithAck('viewing', { conversationId: 'no-such-conversation' })
    expect(bad).toEqual({ error: { code: 'bad_request', message: 'unknown conversation no-such-conversation' } })
  })

  it('the client core relays presence to the renderer, leaving the agent out', async () => {
    const { conversationId } = await server.ingest({ channel: 'sms', externalId: 'SM-p3', from: { kind: 'phone', address: '+14155550132' }, text: 'hi' })
    const priya = await agentWithToken(server, 'Priya Rao')
    const sam = await agentWithToken(server, 'Sam Lee')
    const core = await createCore({ dataDir: join(dir.path, 'sam'), serverUrl: server.url, token: sam.token })
    cores.push(core)
    const heard: IpcEvents['presence.changed'][] = []
    core.subscribe((m: IpcEventMessage) => {
      if (m.event === 'presence.changed') heard.push(m.payload as IpcEvents['presence.changed'])
    })
    await waitUntilSynced(core, server)
    await core.handle('presence.viewing', { conversationId })
    await waitFor('Sam sees an empty room (himself left out)', () => heard.some((h) => h.conversationId === conversationId && h.others.length === 0))

    const p = await client(priya.token)
    await p.socket.emitWithAck('viewing', { conversationId })
    await p.socket.emitWithAck('typing', { conversationId, typing: true })
    await waitFor('Priya typing, relayed', () =>
      heard.at(-1)?.others.some((o) => o.name === 'Priya Rao' && o.typing),
    )
    expect(heard.at(-1)?.others.map((o) => o.userId)).toEqual([priya.user.id])
  })
})
