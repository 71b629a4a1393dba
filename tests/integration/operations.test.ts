import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PullResponse } from '../../src/shared/sync'
import { api, connectClient, integrationWithToken, startTestServer, type TestServer } from './server-fixtures'
import { eventually } from './support/eventually'

/** What an operator's probes and Prometheus see: liveness, readiness and the node's metrics. */

let t: TestServer
beforeAll(async () => {
  t = await startTestServer({ inboxes: [] })
})
afterAll(async () => {
  await t.cleanup()
})

/** One sample's value from Prometheus text, e.g. `threadline_ingest_items_total{outcome="stored"}`. */
async function sample(name: string): Promise<number> {
  const res = await fetch(`${t.server.url}/metrics`)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name} `))
  return line === undefined ? 0 : Number(line.slice(name.length + 1))
}

describe('operations', () => {
  it('answers /health without asking the database and /ready with the newest change seq', async () => {
    expect(await api(t.server.url, 'GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } })
    const ready = await api(t.server.url, 'GET', '/ready')
    expect(ready).toMatchObject({ status: 200, body: { status: 'ready', lastSeq: (await t.server.counts()).lastSeq } })
  })

  it('counts connected clients, pulls, stored and refused inbound items, and times fan-out', async () => {
    const { token } = await integrationWithToken(t.server, ['API'])
    const user = await t.server.createUser({ name: 'Ops Agent', email: 'ops@agents.test', role: 'agent' })
    const { socket } = await connectClient(t.server.url, await t.server.createToken(user.id))
    try {
      expect(await sample('threadline_sync_clients')).toBe(1)
      const pullsBefore = await sample('threadline_pull_seconds_count')
      const page = (await socket.emitWithAck('pull', { after: 0, limit: 100 })) as PullResponse
      expect(page.hasMore).toBe(false)
      expect(await sample('threadline_pull_seconds_count')).toBe(pullsBefore + 1)

      const stored = 'threadline_ingest_items_total{outcome="stored"}'
      const refused = 'threadline_ingest_items_total{outcome="refused"}'
      const [storedBefore, refusedBefore, fanoutBefore] = [await sample(stored), await sample(refused), await sample('threadline_fanout_seconds_count')]
      const item = { channel: 'sms', inbox: 'API', externalId: 'ops-1', from: { kind: 'phone', address: '+14155550101' }, text: 'Is my order on its way?' }
      expect((await api(t.server.url, 'POST', '/api/v1/inbound', { token, body: item })).status).toBe(201)
      expect((await api(t.server.url, 'POST', '/api/v1/inbound', { token, body: { ...item, externalId: 'ops-2', from: { kind: 'phone', address: 'not a number' } } })).status).toBe(400)
      expect(await sample(stored)).toBe(storedBefore + 1)
      expect(await sample(refused)).toBe(refusedBefore + 1)
      expect(await sample('threadline_ingest_seconds_count')).toBeGreaterThanOrEqual(1)
      await eventually(async () => (await sample('threadline_fanout_seconds_count')) > fanoutBefore, 'a fan-out timed')
    } finally {
      socket.disconnect()
    }
    await eventually(async () => (await sample('threadline_sync_clients')) === 0, 'the client counted gone')
  })

  it('reports how long the oldest queued outbound message has waited', async () => {
    // No connector sends SMS here: the reply waits for an integration to fetch it.
    const quiet = await startTestServer({ inboxes: [], outbound: 'none' })
    try {
      const metricsOf = async (): Promise<string> => (await fetch(`${quiet.server.url}/metrics`)).text()
      expect(await metricsOf()).toMatch(/^threadline_outbound_lag_seconds 0$/m)
      const agent = await quiet.server.createUser({ name: 'Lag Agent', email: 'lag@agents.test', role: 'agent' })
      const { conversationId } = await quiet.server.ingest({ channel: 'sms', inbox: 'API', externalId: 'lag-1', from: { kind: 'phone', address: '+14155550177' }, text: 'Hello?' })
      const sent = await quiet.server.applyMutation(agent, { name: 'reply', args: { conversationId, messageId: '018f0000-0000-7000-8000-0000000000a1', text: 'On it' } }, undefined, { at: Date.now() - 90_000 })
      expect(sent.outcome).toBe('applied')
      const lag = Number(/^threadline_outbound_lag_seconds (\S+)$/m.exec(await metricsOf())?.[1])
      expect(lag).toBeGreaterThanOrEqual(90)
      expect(lag).toBeLessThan(120)
    } finally {
      await quiet.cleanup()
    }
  })

  it('names no customer in its metrics', async () => {
    const text = await (await fetch(`${t.server.url}/metrics`)).text()
    expect(text).not.toContain('+14155550101')
    expect(text).not.toContain('order')
  })
})
