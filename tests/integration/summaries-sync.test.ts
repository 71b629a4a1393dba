import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Core } from '../../src/core/core'
import { createCore } from '../../src/core/index'
import type { CustomerSummaries } from '../../src/shared/ipc'
import type { SyncServer } from '../../src/server/server'
import { agentWithToken, syncState, tempDir, waitFor, waitUntilSynced } from './support/sync-harness'
import { startServer } from '../../src/server/server'

/**
 * A customer's story through the real sync path: written on the server, synced into an agent's
 * cache, marked stale by a new message, asked for afresh from the app, rated; and written on the
 * device while the server is away.
 */

let dir: ReturnType<typeof tempDir>
let server: SyncServer | null = null
let core: Core | null = null
afterEach(async () => {
  await core?.close()
  core = null
  await server?.close()
  server = null
  dir.remove()
})

const sms = (n: number, text: string) => ({
  channel: 'sms' as const,
  inbox: 'SMS',
  externalId: `SM${n}`,
  from: { kind: 'phone' as const, address: '+14155550177', name: 'Noor Haddad' },
  text,
})

const storyIn = async (c: Core, customerId: string): Promise<CustomerSummaries> =>
  (await c.handle('summaries.ofCustomer', { customerId })) as CustomerSummaries

describe('customer stories through the sync', () => {
  it('reach the cache, turn stale with a new message, are written afresh on request, and keep the agent’s rating', async () => {
    dir = tempDir()
    // A long debounce: after the first story, only a request writes another.
    server = await startServer({ dbPath: join(dir.path, 'server.sqlite'), logLevel: 'silent', summaryDebounceMs: 100, summaryMaxWaitMs: 600_000 })
    const { customerId } = await server.ingest(sms(1, 'Hi, my router R-5521 keeps dropping the connection every evening.'))
    const agent = await agentWithToken(server, 'Alex Morgan')
    core = await createCore({ dataDir: join(dir.path, 'client'), serverUrl: server.url, token: agent.token })
    await waitUntilSynced(core, server)

    const first = await waitFor('the server’s story in the cache', async () => {
      const { story } = await storyIn(core!, customerId)
      return story && !story.updatedOnDevice ? story : null
    })
    expect(first.provider).toBe('embedded')
    expect(first.staleness).toEqual({ newItems: 0, newestAt: null })
    expect(first.facts.some((f) => f.value === 'R-5521')).toBe(true)

    // The next story waits for quiet; meanwhile the card says how far behind it is.
    const port = server.port
    await server.close()
    server = await startServer({ dbPath: join(dir.path, 'server.sqlite'), logLevel: 'silent', port, summaryDebounceMs: 600_000, summaryMaxWaitMs: 600_000 })
    await waitFor('the client to reconnect', async () => (await syncState(core!)).status === 'online', 30_000)
    const later = await server.ingest(sms(2, 'It happened again last night at 9pm. Order 77120 was the replacement.'))
    const stale = await waitFor('the stale marker', async () => {
      const { story } = await storyIn(core!, customerId)
      return story && story.staleness.newItems === 1 ? story : null
    })
    expect(stale.id).toBe(first.id)

    // Too soon after the first story: refused on the device, before anything is queued.
    await expect(core.handle('summaries.regenerate', { customerId })).rejects.toThrow(/afresh in \d+ s|wait/i)
    await waitFor('the cooldown to pass', async () => Date.now() - first.generatedAt > 30_500, 35_000, 250)
    const asked = (await core.handle('summaries.regenerate', { customerId })) as { mutationId: number }
    expect(asked.mutationId).toBeGreaterThan(0)
    const fresh = await waitFor('the story written afresh', async () => {
      const { story } = await storyIn(core!, customerId)
      return story && story.coversItemId === later.itemId && !story.updatedOnDevice ? story : null
    })
    expect(fresh.staleness.newItems).toBe(0)
    expect(fresh.facts.some((f) => f.value === '77120')).toBe(true)
    expect((await storyIn(core, customerId)).regenerating).toBeNull()

    await core.handle('summaries.rate', { summaryId: fresh.id, generatedAt: fresh.generatedAt, rating: 'up' })
    expect((await storyIn(core, customerId)).story?.myRating).toBe('up')
    await waitFor('the rating to reach the server', async () => (await syncState(core!)).pending === 0)
  }, 90_000)

  it('are written on the device while the server is away, and replaced by the server’s once it is back', async () => {
    dir = tempDir()
    server = await startServer({ dbPath: join(dir.path, 'server.sqlite'), logLevel: 'silent', summaryDebounceMs: 100 })
    const { customerId } = await server.ingest(sms(1, 'I was charged $49.00 twice on invoice INV-3310.'))
    const supervisor = await agentWithToken(server, 'Sue Park', 'supervisor')
    core = await createCore({ dataDir: join(dir.path, 'client'), serverUrl: server.url, token: supervisor.token })
    await waitUntilSynced(core, server)
    await waitFor('the server’s story', async () => (await storyIn(core!, customerId)).story?.updatedOnDevice === null)
    expect(await core.handle('summaries.usage', {})).toMatchObject({ requests: 0, failures: 0 })

    const port = server.port
    await server.ingest(sms(2, 'Please refund the second charge to my card.'))
    await waitFor('the message in the cache', async () => (await storyIn(core!, customerId)).story?.staleness.newItems === 1)
    await server.close()
    server = null
    await waitFor('the client to notice', async () => (await syncState(core!)).status === 'offline')
    await expect(core.handle('summaries.usage', {})).rejects.toThrow(/needs a connection/)

    const local = (await storyIn(core, customerId)).story!
    expect(local).toMatchObject({ updatedOnDevice: true, provider: 'embedded', itemCount: 2, staleness: { newItems: 0 } })
    expect(local.facts.some((f) => f.value === 'INV-3310')).toBe(true)

    server = await startServer({ dbPath: join(dir.path, 'server.sqlite'), logLevel: 'silent', port, summaryDebounceMs: 100 })
    const replaced = await waitFor(
      'the server’s version',
      async () => {
        const { story } = await storyIn(core!, customerId)
        return story && !story.updatedOnDevice && story.itemCount === 2 ? story : null
      },
      30_000,
    )
    expect(replaced.staleness.newItems).toBe(0)
  }, 90_000)
})
