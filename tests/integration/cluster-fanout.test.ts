import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PullResponse } from '../../src/shared/sync'
import { startServer, type SyncServer } from '../../src/server/server'
import { createTestDatabase, type TestDatabase } from '../support/postgres'
import { api, connectClient, integrationWithToken } from './server-fixtures'
import { eventually } from './support/eventually'

/**
 * Two nodes on one PostgreSQL database and one Redis, as behind a load balancer: what is
 * committed on one reaches the clients connected to the other, through the database.
 */

const REDIS_URL = process.env.THREADLINE_TEST_REDIS_URL || 'redis://127.0.0.1:6379'

let database: TestDatabase
let dir: string
let a: SyncServer
let b: SyncServer

beforeAll(async () => {
  database = await createTestDatabase()
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-cluster-'))
  const node = (name: string) =>
    startServer({
      dbPath: path.join(dir, name, 'server.sqlite'),
      databaseUrl: database.url,
      redisUrl: REDIS_URL,
      logLevel: 'silent',
      outbound: 'sandbox',
    })
  a = await node('a')
  b = await node('b')
})

afterAll(async () => {
  await Promise.allSettled([a?.close(), b?.close()])
  await database?.drop()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('two nodes sharing PostgreSQL and Redis', () => {
  it("pokes the other node's clients with what was committed, read once from the database", async () => {
    const agent = await a.createUser({ name: 'Cluster Agent', email: 'cluster@agents.test', role: 'agent' })
    // A token made on one node is accepted on the other: both read the same database.
    const { socket, pokes } = await connectClient(b.url, await a.createToken(agent.id))
    try {
      const cursor = ((await socket.emitWithAck('pull', { after: 0, limit: 1000 })) as PullResponse).cursor
      const { token } = await integrationWithToken(a, ['API'])
      const item = { channel: 'sms', inbox: 'API', externalId: 'cluster-1', from: { kind: 'phone', address: '+14155550142' }, text: 'Where is parcel 7?' }
      const stored = await api(a.url, 'POST', '/api/v1/inbound', { token, body: item })
      expect(stored.status).toBe(201)
      const seq = (await a.counts()).lastSeq

      const carrying = await eventually(async () => pokes.find((p) => p.cursor === seq), 'a poke on the other node')
      // It continues from where this client is, so the client applies it without pulling.
      expect(carrying.after).toBe(cursor)
      const message = carrying.changes.find((c) => c.entity === 'message')
      expect(message?.data).toMatchObject({ id: stored.body.itemId, text: 'Where is parcel 7?', channel: 'sms' })
      // What the poke carried is what a pull from the same cursor returns.
      const page = (await socket.emitWithAck('pull', { after: cursor, limit: 1000 })) as PullResponse
      expect(page.cursor).toBe(seq)
      expect(carrying.changes).toEqual(page.changes)
    } finally {
      socket.disconnect()
    }
  })

  it('sends a reply committed on either node: the node that sends hears of the other’s through Redis', async () => {
    const agent = await a.createUser({ name: 'Reply Agent', email: 'replies@agents.test', role: 'agent' })
    const agentToken = await a.createToken(agent.id)
    const { token } = await integrationWithToken(a, ['API'])
    const item = { channel: 'sms', inbox: 'API', externalId: 'cluster-2', from: { kind: 'phone', address: '+14155550143' }, text: 'Any news?' }
    const { conversationId } = (await api(a.url, 'POST', '/api/v1/inbound', { token, body: item })).body
    // One node holds the sending; the reply committed on the other reaches it only as a notice.
    for (const node of [a, b]) {
      const reply = await api(node.url, 'POST', `/api/v1/conversations/${conversationId}/reply`, { token: agentToken, body: { text: `Sent through ${node.url}` } })
      expect(reply.status).toBe(201)
      expect(reply.body.deliveryStatus).toBe('queued')
      const sent = async () => {
        const page = await api(a.url, 'GET', `/api/v1/conversations/${conversationId}/messages?limit=100`, { token: agentToken })
        return page.body.items.some((m: { id: string; deliveryStatus: string }) => m.id === reply.body.id && m.deliveryStatus === 'sent')
      }
      await eventually(sent, `the reply through ${node.url} sent`)
    }
  })

  it('is ready only while both the database and Redis answer', async () => {
    for (const node of [a, b]) expect(await api(node.url, 'GET', '/ready')).toMatchObject({ status: 200, body: { status: 'ready' } })
  })
})
