import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
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
  readCursor,
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

beforeEach(async () => {
  dir = tempDir()
  server = await startTestServer(join(dir.path, 'server.sqlite'))
  await seedDemo(server, { seed: 3, customers: 60, conversationsPerCustomer: 3, messagesPerConversation: 4, now: Date.UTC(2025, 0, 15) })
})

afterEach(async () => {
  await core?.close()
  core = null
  await server.close()
  dir.remove()
})

describe('the server restarted in the middle of a large pull', () => {
  it('the client resumes from its cursor: nothing lost, nothing duplicated', async () => {
    const agent = await agentWithToken(server, 'Rita Restart')
    const dbPath = join(dir.path, 'server.sqlite')
    const port = server.port
    const total = await waitForQuietServer(server)
    expect(total).toBeGreaterThan(1_000)
    const dataDir = join(dir.path, 'client')
    core = await createCore({ dataDir, serverUrl: server.url, token: agent.token, batchSize: 10 })

    const cursorAtStop = await waitFor('the first batches to land', () => {
      const cursor = readCursor(dataDir)
      return cursor > 0 ? cursor : 0
    }, 30_000, 2)
    await server.close()
    await waitFor('the client to notice', async () => (await syncState(core!)).status === 'offline')
    const stalled = readCursor(dataDir)
    expect(cursorAtStop).toBeLessThan(total)
    expect(stalled).toBeLessThan(total)

    server = await startTestServer(dbPath, port)
    // New traffic right after the restart arrives while the client is still catching up.
    await server.ingest({
      channel: 'email',
      inbox: 'Support email',
      externalId: '<after-restart@example.test>',
      from: { kind: 'email', address: 'Late.Customer@Example.test', name: 'Late Customer' },
      subject: 'Still waiting',
      text: 'Any news?',
    })
    await waitUntilSynced(core, server, 60_000)

    const truth = materialize(await pullChangeLog(server.url, agent.token))
    const cache = readCache(dataDir)
    expect(cache.cursor).toBe((await server.counts()).lastSeq)
    expect(cache.server).toEqual(truth)
    expect(cache.current).toEqual(truth)
    const counts = countByEntity(cache.server)
    const server_ = await server.counts()
    expect({ customers: counts.customer, conversations: counts.conversation, messages: counts.message }).toEqual({
      customers: server_.customers,
      conversations: server_.conversations,
      messages: server_.messages,
    })
    const inbox = (await core.handle('inbox.list', { limit: 1 })) as { customerName: string; preview: string }[]
    expect(inbox[0]).toMatchObject({ customerName: 'Late Customer', preview: 'Any news?' })
  })
})
