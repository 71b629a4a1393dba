import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Conversation } from '../../src/shared/domain'
import type { ConversationListItem } from '../../src/shared/ipc'
import type { Core } from '../../src/core/core'
import { createCore } from '../../src/core/index'
import { seedDemo } from '../../src/server/demo/seed'
import type { SyncServer } from '../../src/server/server'
import {
  agentWithToken,
  materialize,
  pullChangeLog,
  readCache,
  startTestServer,
  tempDir,
  waitForQuietServer,
  waitUntilSynced,
} from './support/sync-harness'

let dir: ReturnType<typeof tempDir>
let server: SyncServer
const cores: Core[] = []

beforeEach(async () => {
  dir = tempDir()
  server = await startTestServer(join(dir.path, 'server.sqlite'))
  await seedDemo(server, { seed: 11, customers: 10, conversationsPerCustomer: 2, messagesPerConversation: 3, now: Date.UTC(2025, 0, 15) })
})

afterEach(async () => {
  await Promise.all(cores.splice(0).map((c) => c.close()))
  await server.close()
  dir.remove()
})

describe('two clients acting on the same conversations at once', () => {
  it('both converge to the server state, with every action applied once', async () => {
    const ann = await agentWithToken(server, 'Ann Concurrent')
    const ben = await agentWithToken(server, 'Ben Concurrent')
    const a = await createCore({ dataDir: join(dir.path, 'ann'), serverUrl: server.url, token: ann.token, batchSize: 40 })
    const b = await createCore({ dataDir: join(dir.path, 'ben'), serverUrl: server.url, token: ben.token, batchSize: 40 })
    cores.push(a, b)
    await Promise.all([waitUntilSynced(a, server), waitUntilSynced(b, server)])

    // Written replies: conversations last on the phone need a channel chosen, which this test does not do.
    const listed = (await a.handle('inbox.list', { limit: 30 })) as ConversationListItem[]
    const targets = listed.filter((c) => c.channel !== 'voice').slice(0, 6).map((c) => c.id)
    expect(targets).toHaveLength(6)
    const messagesBefore = (await server.counts()).messages

    const actAs = async (core: Core, who: { user: { id: string } }, tag: string): Promise<string[]> => {
      const replies: string[] = []
      for (const [i, conversationId] of targets.entries()) {
        // No awaits between sends and pokes beyond the IPC calls: the two clients interleave.
        const r = (await core.handle('conversation.reply', { conversationId, text: `${tag} reply ${i}` })) as { messageId: string }
        replies.push(r.messageId)
        await core.handle('conversation.assign', { conversationId, assigneeId: who.user.id })
        await core.handle('conversation.label', { conversationId, add: [`by-${tag}`], remove: i % 2 ? [`by-${tag === 'ann' ? 'ben' : 'ann'}`] : [] })
        await core.handle('conversation.setStatus', { conversationId, status: i % 2 ? 'pending' : 'resolved' })
        await core.handle('conversation.note', { conversationId, text: `${tag} note ${i}` })
        await new Promise((r) => setTimeout(r, (i * 7) % 13))
      }
      return replies
    }
    // Customers keep writing in while the agents work.
    const customersWrite = (async () => {
      for (let i = 0; i < 5; i++) {
        await server.ingest({
          channel: 'sms',
          inbox: 'SMS',
          externalId: `converge-sms-${i}`,
          from: { kind: 'phone', address: '+14155550100', name: 'Late Writer' },
          text: `are you there? ${i}`,
        })
        await new Promise((r) => setTimeout(r, 10))
      }
    })()
    const [annReplies, benReplies] = await Promise.all([actAs(a, ann, 'ann'), actAs(b, ben, 'ben'), customersWrite])

    await waitForQuietServer(server)
    await Promise.all([waitUntilSynced(a, server), waitUntilSynced(b, server)])

    // Each reply reached the server once; the late writer's five messages are there too.
    expect((await server.counts()).messages).toBe(messagesBefore + annReplies!.length + benReplies!.length + 5)

    const truth = materialize(await pullChangeLog(server.url, ann.token))
    const annCache = readCache(join(dir.path, 'ann'))
    const benCache = readCache(join(dir.path, 'ben'))
    for (const cache of [annCache, benCache]) {
      expect(cache.outbox).toEqual({ pending: 0, failed: 0 })
      expect(cache.cursor).toBe((await server.counts()).lastSeq)
      expect(cache.server).toEqual(truth)
      expect(cache.current).toEqual(truth)
    }
    for (const id of [...annReplies!, ...benReplies!]) expect(truth.has(`message:${id}`)).toBe(true)

    // Both agents' screens agree on who owns each conversation, and it is one of them.
    const listA = (await a.handle('inbox.list', { limit: 1000 })) as ConversationListItem[]
    const listB = (await b.handle('inbox.list', { limit: 1000 })) as ConversationListItem[]
    expect(listA).toEqual(listB)
    for (const id of targets) {
      const conv = truth.get(`conversation:${id}`) as Conversation
      expect([ann.user.id, ben.user.id]).toContain(conv.assigneeId)
      expect(listA.find((c) => c.id === id)).toMatchObject({ assigneeId: conv.assigneeId, status: conv.status, labels: conv.labels, pending: false })
    }
  })
})
