import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Core } from '../../src/core/core'
import { CACHE_FILE } from '../../src/core/db/open'
import { dumpEntities } from '../../src/core/db/queries'
import { createCore } from '../../src/core/index'
import type { InboundMessage, IngestResult } from '../../src/shared/ingest'
import type { Change, PullResponse } from '../../src/shared/sync'
import { api, connectClient, startTestServer, userWithToken, waitFor, type SyncClient, type TestServer } from './server-fixtures'
import { readCache, waitUntilSynced } from './support/sync-harness'

/**
 * A customer is seen through their conversations: an agent limited to some inboxes gets only
 * the customers who wrote to one of them — over REST, in sync, and in what they may change.
 */

let t: TestServer
let dataDir: string
const sockets: SyncClient[] = []
const cores: Core[] = []

beforeEach(async () => {
  t = await startTestServer()
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-access-'))
})
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close()
  await Promise.all(cores.splice(0).map((c) => c.close()))
  await t.cleanup()
  fs.rmSync(dataDir, { recursive: true, force: true })
})

const emailFrom = (address: string, name: string, n: number): InboundMessage => ({
  channel: 'email',
  inbox: 'Support email',
  externalId: `<access-${n}@mail.test>`,
  from: { kind: 'email', address, name },
  subject: 'Password reset',
  text: `Your reset code is 4${n}1977`,
})

const smsFrom = (phone: string, n: number, alsoKnownAs: InboundMessage['alsoKnownAs'] = []): InboundMessage => ({
  channel: 'sms',
  inbox: 'SMS',
  externalId: `SM-access-${n}`,
  from: { kind: 'phone', address: phone },
  alsoKnownAs,
  text: `sms ${n}`,
})

async function pullEverything(token: string): Promise<{ socket: SyncClient; changes: Change[]; cursor: number; pokes: { changes: Change[] }[] }> {
  const { socket, pokes } = await connectClient(t.server.url, token)
  sockets.push(socket)
  const changes: Change[] = []
  let cursor = 0
  for (;;) {
    const page = (await socket.emitWithAck('pull', { after: cursor, limit: 50 })) as PullResponse
    changes.push(...page.changes)
    cursor = page.cursor
    if (!page.hasMore) return { socket, changes, cursor, pokes }
  }
}

describe('customers by inbox access', () => {
  let emailOnly: IngestResult
  let texter: IngestResult
  let smsAgent: { token: string; user: { id: string } }

  beforeEach(async () => {
    emailOnly = await t.server.ingest(emailFrom('dana@example.test', 'Dana Email', 1))
    texter = await t.server.ingest(smsFrom('+14155550101', 2))
    smsAgent = await userWithToken(t.server, 'Sol Sms', { inboxes: ['SMS'] })
  })

  it('lists, searches and opens only the customers who wrote to the agent’s inboxes', async () => {
    const list = await api(t.server.url, 'GET', '/api/v1/customers?limit=50', { token: smsAgent.token })
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([texter.customerId])
    const search = await api(t.server.url, 'GET', '/api/v1/customers?q=dana', { token: smsAgent.token })
    expect(search.body.items).toEqual([])
    for (const route of [`/api/v1/customers/${emailOnly.customerId}`, `/api/v1/customers/${emailOnly.customerId}/timeline`]) {
      const res = await api(t.server.url, 'GET', route, { token: smsAgent.token })
      expect(res.status, route).toBe(404)
      expect(JSON.stringify(res.body)).not.toContain('dana@example.test')
    }
    // Someone who sees every inbox sees both.
    const all = await userWithToken(t.server, 'Ada All')
    expect((await api(t.server.url, 'GET', '/api/v1/customers?q=dana', { token: all.token })).body.items).toHaveLength(1)
  })

  it('syncs a customer’s rows only to agents who may see them, and sends them once the customer writes to their inbox', async () => {
    const { changes, pokes } = await pullEverything(smsAgent.token)
    const ids = new Set(changes.map((c) => c.id))
    expect(ids.has(texter.customerId)).toBe(true)
    expect(ids.has(emailOnly.customerId)).toBe(false)
    expect(changes.some((c) => c.entity === 'identity' && JSON.stringify(c.data).includes('dana@example.test'))).toBe(false)

    // Dana texts, proving her email elsewhere is the same person: her record, with its older
    // identity, now reaches the SMS agent, live.
    await t.server.ingest(smsFrom('+14155550102', 3, [{ kind: 'email', address: 'dana@example.test' }]))
    const seen = () => pokes.flatMap((p) => p.changes)
    await waitFor(
      () => seen().some((c) => c.entity === 'identity' && (c.data as { address: string }).address === 'dana@example.test'),
      'Dana’s email identity in a poke',
    )
    expect(seen().some((c) => c.entity === 'customer' && c.id === emailOnly.customerId)).toBe(true)
    // A fresh pull agrees.
    const again = await pullEverything(smsAgent.token)
    expect(again.changes.some((c) => c.entity === 'customer' && c.id === emailOnly.customerId)).toBe(true)
  })

  it('refuses labels and merges on a customer outside the agent’s inboxes', async () => {
    const { socket } = await pullEverything(smsAgent.token)
    const push = await socket.emitWithAck('push', {
      clientId: randomUUID(),
      mutations: [
        { id: 1, name: 'customerLabel', args: { customerId: emailOnly.customerId, add: ['vip'], remove: [] } },
        { id: 2, name: 'mergeCustomers', args: { mergeId: randomUUID(), sourceId: texter.customerId, targetId: emailOnly.customerId } },
      ],
    })
    expect(push).toEqual({
      results: [
        { id: 1, outcome: 'rejected', error: `unknown customer ${emailOnly.customerId}` },
        { id: 2, outcome: 'rejected', error: `unknown customer ${emailOnly.customerId}` },
      ],
    })
  })

  it('empties the rows an agent may no longer see from their cache when their inboxes shrink', async () => {
    const agent = await userWithToken(t.server, 'Kim Shrinks')
    const core = await createCore({ dataDir, serverUrl: t.server.url, token: agent.token })
    cores.push(core)
    await waitUntilSynced(core, t.server)
    const has = (id: string) => readCache(dataDir).current.has(`customer:${id}`)
    expect(has(emailOnly.customerId) && has(texter.customerId)).toBe(true)

    await t.server.updateUserAccess(agent.user.id, { inboxes: ['SMS'] })
    await waitFor(() => {
      const cache = readCache(dataDir)
      return !cache.current.has(`customer:${emailOnly.customerId}`) && cache.current.has(`customer:${texter.customerId}`) && cache.cursor > 0
    }, 'the cache to hold only what the agent may see now', 20_000)
    const cache = readCache(dataDir)
    expect([...cache.current.keys()].some((k) => k === `conversation:${emailOnly.conversationId}` || k === `message:${emailOnly.itemId}`)).toBe(false)
    expect([...cache.current.values()].some((row) => JSON.stringify(row).includes('dana@example.test'))).toBe(false)

    // Granted again, the history comes back.
    await t.server.updateUserAccess(agent.user.id, { inboxes: null })
    await waitFor(() => readCache(dataDir).current.has(`message:${emailOnly.itemId}`), 'the email history to return', 20_000)
  })

  it('fills the cache with reporting events when an agent becomes a supervisor, and empties it of them when they no longer are', async () => {
    const agent = await userWithToken(t.server, 'Pat Promoted')
    const core = await createCore({ dataDir, serverUrl: t.server.url, token: agent.token })
    cores.push(core)
    await waitUntilSynced(core, t.server)
    const reportingEvents = (): number => {
      const db = new BetterSqlite3(path.join(dataDir, CACHE_FILE), { readonly: true, fileMustExist: true })
      try {
        // As rows, or in the blocks a first sync keeps them in.
        return dumpEntities(db, 'reportingEvent').size
      } finally {
        db.close()
      }
    }
    expect(reportingEvents()).toBe(0)

    await t.server.updateUserAccess(agent.user.id, { role: 'supervisor' })
    // One conversation_created each for the two customers' conversations.
    await waitFor(() => reportingEvents() === 2, 'the reporting events to arrive', 20_000)

    await t.server.updateUserAccess(agent.user.id, { role: 'agent' })
    await waitFor(() => reportingEvents() === 0 && readCache(dataDir).current.has(`message:${emailOnly.itemId}`), 'the reporting events to leave', 20_000)
  })
})
