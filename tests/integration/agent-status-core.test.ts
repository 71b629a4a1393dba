import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AgentStatus } from '../../src/shared/agent-status'
import type { IpcEventMessage } from '../../src/shared/ipc'
import type { Core } from '../../src/core/core'
import { createCore } from '../../src/core/index'
import type { SyncServer } from '../../src/server/server'
import { connectClient, latestStatus, startTestServer, userWithToken, waitFor, type SyncClient, type TestServer } from './server-fixtures'
import { startTestServer as startServerAt, waitUntilSynced } from './support/sync-harness'

/** The client core keeps the statuses a supervisor is sent, and reports its agent away, also after reconnecting. */

let t: TestServer
/** The same server started again on the same port and database. */
let restarted: SyncServer | null = null
const sockets: SyncClient[] = []
const cores: Core[] = []

beforeEach(async () => {
  t = await startTestServer()
})

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close()
  await Promise.all(cores.splice(0).map((c) => c.close()))
  await restarted?.close()
  restarted = null
  await t.cleanup()
})

describe('agent status in the client core', () => {
  it("relays the supervisor's list to the renderer, and reports the agent away again after a reconnect", async () => {
    const boss = await userWithToken(t.server, 'Maya Chief', { role: 'supervisor' })
    const priya = await userWithToken(t.server, 'Priya Rao')
    const supervisor = await createCore({ dataDir: join(t.dir, 'maya'), serverUrl: t.server.url, token: boss.token })
    const agent = await createCore({ dataDir: join(t.dir, 'priya'), serverUrl: t.server.url, token: priya.token })
    cores.push(supervisor, agent)
    const pushed: AgentStatus[][] = []
    const agentHeard: string[] = []
    supervisor.subscribe((m: IpcEventMessage) => {
      if (m.event === 'presence.agents') pushed.push(m.payload as AgentStatus[])
    })
    agent.subscribe((m: IpcEventMessage) => agentHeard.push(m.event))
    await waitUntilSynced(supervisor, t.server)
    await waitUntilSynced(agent, t.server)

    const asked = async () => [(await supervisor.handle('presence.agents', {})) as AgentStatus[]]
    await waitFor(async () => latestStatus(await asked(), priya.user.id)?.status === 'online', 'Priya online, asked')
    expect(latestStatus(pushed, priya.user.id)?.status).toBe('online')

    expect(await agent.handle('presence.away', { away: true })).toEqual({ ok: true })
    await waitFor(() => latestStatus(pushed, priya.user.id)?.status === 'away', 'Priya away, pushed')
    await expect(agent.handle('presence.away', { away: 'no' })).rejects.toMatchObject({ code: 'bad_request' })

    // The server restarts: the agent's core reconnects and says again that nobody is at the desk.
    await t.server.close()
    restarted = await startServerAt(t.dbPath, t.server.port)
    await waitUntilSynced(agent, restarted)
    const { socket, agentLists: lists } = await connectClient(restarted.url, boss.token)
    sockets.push(socket)
    await waitFor(() => latestStatus(lists, priya.user.id)?.status === 'away', 'Priya away after the restart')

    // An agent is told nothing.
    expect(await agent.handle('presence.agents', {})).toEqual([])
    expect(agentHeard).not.toContain('presence.agents')
  })
})
