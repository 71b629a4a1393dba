import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Core } from '../../src/core/core'
import { createCore } from '../../src/core/index'
import type { SyncServer } from '../../src/server/server'
import { agentWithToken, startTestServer, syncState, tempDir, waitFor, waitUntilSynced } from './support/sync-harness'

let dir: ReturnType<typeof tempDir>
let server: SyncServer
let core: Core | null = null

beforeEach(async () => {
  dir = tempDir('threadline-retry-')
  server = await startTestServer(join(dir.path, 'server.sqlite'))
})

afterEach(async () => {
  await core?.close()
  await server.close()
  dir.remove()
})

describe('sync.retryNow', () => {
  it('reconnects at once instead of waiting out a grown reconnect backoff', async () => {
    const ann = await agentWithToken(server, 'Ann Retry')
    core = await createCore({ dataDir: join(dir.path, 'ann'), serverUrl: server.url, token: ann.token })
    await waitUntilSynced(core, server)
    const port = server.port
    await server.close()
    await waitFor('offline', async () => (await syncState(core!)).status === 'offline')
    // Several failed attempts: the next one is seconds away now.
    await new Promise((r) => setTimeout(r, 7_000))
    server = await startTestServer(join(dir.path, 'server.sqlite'), port)
    const asked = Date.now()
    expect(await core.handle('sync.retryNow', {})).toEqual({ ok: true })
    await waitFor('online again', async () => (await syncState(core!)).status === 'online', 10_000)
    expect(Date.now() - asked).toBeLessThan(1_000)
  })
})
