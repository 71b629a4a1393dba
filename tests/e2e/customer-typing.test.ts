import { randomUUID } from 'node:crypto'
import { io, type Socket } from 'socket.io-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHAT_SOCKET_PATH, type ChatClientToServerEvents, type ChatServerToClientEvents } from '../../src/shared/chat'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/** A chat visitor typing shows in the open customer's header, and goes away when they stop. */

const INBOX = 'Website chat'
let env: E2eEnvironment
let workspace: WorkspacePage
let visitor: Socket<ChatServerToClientEvents, ChatClientToServerEvents>

beforeAll(async () => {
  env = await startEnvironment({
    server: { inboxes: [{ name: INBOX, channel: 'chat', connector: { type: 'webchat', secret: 'e2e-typing-secret-0123456789abcdef', allowedOrigins: ['*'] } }] as never },
    seed: async (server) => server.createUser({ name: 'Alex Morgan', email: 'alex@example.test', role: 'agent', team: 'Support' }),
  })
  visitor = io(env.server.url, { path: CHAT_SOCKET_PATH, auth: { inbox: INBOX }, transports: ['websocket'], reconnection: false, extraHeaders: { origin: 'https://shop.example' } })
  await new Promise<void>((resolve, reject) => {
    visitor.once('connect', () => resolve())
    visitor.once('connect_error', reject)
  })
  await visitor.emitWithAck('join', {})
  await visitor.emitWithAck('identify', { name: 'Robin Park' })
  await visitor.emitWithAck('send', { clientMessageId: randomUUID(), text: 'Is the brass lamp in stock?' })
  workspace = new WorkspacePage(env.page)
  await workspace.open(env.host.url)
  await workspace.inboxRow('Robin Park').first().waitFor({ timeout: 60_000 })
  await workspace.openCustomer('Robin Park')
}, 240_000)

afterAll(async () => {
  visitor?.close()
  await env?.close()
})

describe('customer typing in the header', () => {
  it('shows "<name> is typing…" while the visitor types and clears it when they stop', async () => {
    const line = env.page.locator('.customer-header').getByText('Robin Park is typing…')
    visitor.emit('typing', { typing: true })
    await line.waitFor({ timeout: 10_000 })
    visitor.emit('typing', { typing: false })
    await line.waitFor({ state: 'detached', timeout: 10_000 })
    expect(await env.page.getByTestId('customer-typing').innerText()).toBe('')
  })
})
