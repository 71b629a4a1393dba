import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type SyncServer } from '../../src/server/server'
import { createTestDatabase, type TestDatabase } from '../support/postgres'
import { connectClient, latestStatus as statusIn, waitFor, type SyncClient } from './server-fixtures'

/**
 * Two nodes on one PostgreSQL database and one Redis: a supervisor connected to one sees the
 * agents connected to the other, and a node that joins later agrees on since when.
 */

const REDIS_URL = process.env.THREADLINE_TEST_REDIS_URL || 'redis://127.0.0.1:6379'

let database: TestDatabase
let dir: string
const nodes: SyncServer[] = []
const sockets: SyncClient[] = []

const node = async (name: string): Promise<SyncServer> => {
  const started = await startServer({
    dbPath: path.join(dir, name, 'server.sqlite'),
    databaseUrl: database.url,
    redisUrl: REDIS_URL,
    logLevel: 'silent',
    outbound: 'sandbox',
  })
  nodes.push(started)
  return started
}

async function client(server: SyncServer, token: string) {
  const { socket, agentLists } = await connectClient(server.url, token)
  sockets.push(socket)
  return { socket, lists: agentLists }
}

beforeAll(async () => {
  database = await createTestDatabase()
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-cluster-status-'))
})

afterAll(async () => {
  for (const s of sockets) s.close()
  await Promise.allSettled(nodes.map((n) => n.close()))
  await database?.drop()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('agent status across two nodes', () => {
  it('shows a supervisor on one node the agents connected to the other, and agrees on since when', async () => {
    const a = await node('a')
    const b = await node('b')
    const boss = await a.createUser({ name: 'Cluster Chief', email: 'chief@cluster.test', role: 'supervisor' })
    const agent = await a.createUser({ name: 'Cluster Agent', email: 'agent@cluster.test', role: 'agent' })
    const watcher = await client(a, await a.createToken(boss.id))
    const onB = await client(b, await a.createToken(agent.id))

    await waitFor(() => statusIn(watcher.lists, agent.id)?.status === 'online', 'the agent on node b online on node a')
    await onB.socket.emitWithAck('status', { away: true })
    await waitFor(() => statusIn(watcher.lists, agent.id)?.status === 'away', 'the agent away on node a')

    // A second connection, to node a and in use, makes the agent online again.
    const onA = await client(a, await a.createToken(agent.id))
    await waitFor(() => statusIn(watcher.lists, agent.id)?.status === 'online', 'online with a connection in use')
    onA.socket.close()
    await waitFor(() => statusIn(watcher.lists, agent.id)?.status === 'away', 'away again')
    const away = statusIn(watcher.lists, agent.id)!

    // A node that joins now learns from the others since when, instead of stamping its own start.
    const c = await node('c')
    const late = await client(c, await a.createToken(boss.id))
    await waitFor(() => statusIn(late.lists, agent.id)?.status === 'away', 'the agent away on the new node')
    await waitFor(() => statusIn(late.lists, agent.id)?.since === away.since, 'the same since on the new node')

    // A node that stops says so: its agents go offline at once, not after the heartbeats run out.
    await b.close()
    await waitFor(() => statusIn(watcher.lists, agent.id)?.status === 'offline', 'the agent offline once node b stopped', 2_000)
    await waitFor(() => statusIn(late.lists, agent.id)?.status === 'offline', 'the agent offline on node c too', 2_000)
    // The agents' sockets never received the list.
    expect(onB.lists).toEqual([])
    expect(onA.lists).toEqual([])
  })
})
