import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Core } from '../../src/core/core'
import { createCore } from '../../src/core/index'
import type { IpcArgs, IpcResults } from '../../src/shared/ipc'
import { csvField } from '../../src/shared/csv'
import type { Summary } from '../../src/shared/domain'
import type { InboundMessage } from '../../src/shared/ingest'
import type { LiveQueues } from '../../src/shared/reporting/live-queues'
import { api, startTestServer, userWithToken, type TestServer } from './server-fixtures'
import { eventually } from './support/eventually'
import { tempDir, waitUntilSynced } from './support/sync-harness'

/**
 * Supervisors' figures through the real paths: events recorded by ingest and agents' actions,
 * the REST routes, and the client core computing the same report from its synced cache.
 */

let t: TestServer | null = null
let core: Core | null = null
const dirs: { remove(): void }[] = []
afterEach(async () => {
  await core?.close()
  core = null
  await t?.cleanup()
  t = null
  for (const d of dirs.splice(0)) d.remove()
})

const MINUTE = 60_000
const DAY = 86_400_000
const START = Date.UTC(2026, 10, 2, 8)

const email = (n: number, address: string, sentAt: number): InboundMessage => ({
  channel: 'email',
  inbox: 'support',
  externalId: `<report-${n}@mail.test>`,
  from: { kind: 'email', address, name: address.split('@')[0] },
  subject: `Question ${n}`,
  text: `Hello, question number ${n}.`,
  sentAt,
})

/** Three customers: one answered in 10 minutes and resolved, one answered in 30, one still waiting. */
async function scenario(server: TestServer['server']) {
  const { user: agent } = await userWithToken(server, 'Ana')
  const a = await server.ingest(email(1, 'ann@example.test', START))
  const b = await server.ingest(email(2, 'bob@example.test', START + MINUTE))
  const c = await server.ingest(email(3, 'cyd@example.test', START + 2 * MINUTE))
  const act = (name: 'reply' | 'setStatus', args: Record<string, unknown>, at: number) =>
    server.applyMutation(agent, { name, args } as Parameters<typeof server.applyMutation>[1], undefined, { at })
  await act('reply', { messageId: 'r-a', conversationId: a.conversationId, text: 'Done.' }, START + 10 * MINUTE)
  await act('reply', { messageId: 'r-b', conversationId: b.conversationId, text: 'Looking.' }, START + 31 * MINUTE)
  await act('setStatus', { conversationId: a.conversationId, status: 'resolved' }, START + 40 * MINUTE)
  return { agent, a, b, c }
}

const query = { from: START - DAY, to: START + DAY, timeZone: 'Europe/Berlin' }
const queryString = `from=${query.from}&to=${query.to}&timeZone=Europe/Berlin`

describe('reports', () => {
  it('refuse agents over REST and in the client core', async () => {
    t = await startTestServer()
    await scenario(t.server)
    const agent = await userWithToken(t.server, 'Abe')
    for (const path of [`/api/v1/reports?${queryString}`, '/api/v1/reports/live']) {
      const res = await api(t.server.url, 'GET', path, { token: agent.token })
      expect(res.status).toBe(403)
      expect(JSON.stringify(res.body)).toMatch(/supervisors and admins/)
    }
    const dir = tempDir()
    dirs.push(dir)
    core = await createCore({ dataDir: join(dir.path, 'client'), serverUrl: t.server.url, token: agent.token })
    await waitUntilSynced(core, t.server)
    await expect(core.handle('reports.report', query)).rejects.toThrow(/supervisors and admins/)
  })

  it('give supervisors the same figures over REST as the client core computes from its cache', async () => {
    t = await startTestServer()
    const { c } = await scenario(t.server)
    const supervisor = await userWithToken(t.server, 'Sol', { role: 'supervisor' })
    const rest = await api<IpcResults['reports.report']['report']>(t.server.url, 'GET', `/api/v1/reports?${queryString}`, { token: supervisor.token })
    expect(rest.status).toBe(200)
    expect(rest.body.created).toBe(3)
    expect(rest.body.resolved).toBe(1)
    // Waits of 10 and 30 minutes: the median of two by the nearest rank is the first.
    expect(rest.body.firstResponse.calendar.median).toBe(10 * MINUTE)
    expect(rest.body.firstResponse.calendar.p90).toBe(30 * MINUTE)

    const dir = tempDir()
    dirs.push(dir)
    core = await createCore({ dataDir: join(dir.path, 'client'), serverUrl: t.server.url, token: supervisor.token })
    await waitUntilSynced(core, t.server)
    const local = (await core.handle('reports.report', query)) as IpcResults['reports.report']
    expect(local.report).toEqual(rest.body)
    expect(local.asOf).toEqual(expect.any(Number))

    const live = await api<LiveQueues>(t.server.url, 'GET', '/api/v1/reports/live', { token: supervisor.token })
    expect(live.status).toBe(200)
    expect(live.body.totals).toMatchObject({ open: 2, unassigned: 2, waiting: 1 })
    expect(live.body.longestWaits.map((w) => w.conversationId)).toEqual([c.conversationId])
    const localLive = (await core.handle('reports.live', {})) as LiveQueues
    expect({ ...localLive, asOf: 0 }).toEqual({ ...live.body, asOf: 0 })
    const open = (await core.handle('reports.liveDrill', { dimension: 'all', state: 'waiting' })) as IpcResults['reports.liveDrill']
    expect(open.rows).toEqual([
      expect.objectContaining({ conversationId: c.conversationId, customerName: 'cyd', subject: 'Question 3', status: 'open', waitingSince: START + 2 * MINUTE }),
    ])
    const secondOpen = (await core.handle('reports.liveDrill', { dimension: 'all', state: 'open', offset: 1, limit: 1 })) as IpcResults['reports.liveDrill']
    expect([secondOpen.total, secondOpen.offset, secondOpen.rows.length]).toEqual([2, 1, 1])
  })

  it('reach a supervisor’s first sync in about as many pages as an agent’s, the events riding along', async () => {
    t = await startTestServer()
    const { user: agent } = await userWithToken(t.server, 'Ana')
    for (let n = 0; n < 40; n++) {
      const inbound = await t.server.ingest(email(n, `c${n}@example.test`, START + n * MINUTE))
      await t.server.applyMutation(agent, { name: 'reply', args: { messageId: `r-${n}`, conversationId: inbound.conversationId, text: 'On it.' } }, undefined, {
        at: START + (n + 5) * MINUTE,
      })
    }
    const pulls = async () => Number(/^threadline_pull_seconds_count (\S+)$/m.exec(await (await fetch(`${t!.server.url}/metrics`)).text())?.[1])
    // Each a first sync from an empty cache, in small pages so that it takes many; returns how many pulls it took.
    const firstSync = async (token: string): Promise<number> => {
      const dir = tempDir()
      dirs.push(dir)
      const before = await pulls()
      core = await createCore({ dataDir: join(dir.path, 'client'), serverUrl: t!.server.url, token, batchSize: 4 })
      await waitUntilSynced(core, t!.server)
      return (await pulls()) - before
    }
    const agentPulls = await firstSync((await userWithToken(t.server, 'Abe')).token)
    await core!.close()
    core = null
    const supervisorPulls = await firstSync((await userWithToken(t.server, 'Sol', { role: 'supervisor' })).token)
    const local = (await core!.handle('reports.report', query)) as IpcResults['reports.report']
    expect([local.report.created, local.report.firstResponse.calendar.median]).toEqual([40, 5 * MINUTE])
    // About one event for every two other changes: counted in the pages' limit, they took half as many pages again.
    expect(supervisorPulls).toBeLessThanOrEqual(Math.ceil(agentPulls * 1.1))
  })

  it('open the conversations behind a figure, the same over REST and in the client core, and export them as CSV', async () => {
    t = await startTestServer()
    const { a, b, c } = await scenario(t.server)
    const supervisor = await userWithToken(t.server, 'Sol', { role: 'supervisor' })
    const dir = tempDir()
    dirs.push(dir)
    core = await createCore({ dataDir: join(dir.path, 'client'), serverUrl: t.server.url, token: supervisor.token })
    await waitUntilSynced(core, t.server)

    const path = `/api/v1/reports/conversations?${queryString}&figure=firstResponse`
    const rest = await api<IpcResults['reports.drill']>(t.server.url, 'GET', path, { token: supervisor.token })
    expect(rest.status).toBe(200)
    expect(rest.body.rows.map((r) => r.id).sort()).toEqual([a.conversationId, b.conversationId].sort())
    const local = (await core.handle('reports.drill', { query, key: 'firstResponse' })) as IpcResults['reports.drill']
    expect(local.rows.map(({ customerName: _n, subject: _s, status: _st, ...row }) => row)).toEqual(rest.body.rows)
    expect(local.rows.find((r) => r.id === a.conversationId)).toMatchObject({
      customerName: 'ann',
      subject: 'Question 1',
      status: 'resolved',
      firstResponseCalendarMs: 10 * MINUTE,
    })
    // A page at a time, in the figure's order or sorted over the whole list by a column, rows without a value last.
    const drill = async (args: Partial<IpcArgs<'reports.drill'>>) => (await core!.handle('reports.drill', { query, key: 'created', ...args })) as IpcResults['reports.drill']
    const first = await drill({ limit: 2 })
    const second = await drill({ limit: 2, offset: 2 })
    expect([first.total, first.rows.length, second.total, second.offset, second.rows.length]).toEqual([3, 2, 3, 2, 1])
    expect([...first.rows, ...second.rows].map((r) => r.id).sort()).toEqual([a.conversationId, b.conversationId, c.conversationId].sort())
    const names = async (sort: IpcArgs<'reports.drill'>['sort'], offset = 0) => (await drill({ sort, offset, limit: 2 })).rows.map((r) => r.customerName)
    expect([...(await names({ field: 'customerName', descending: true })), ...(await names({ field: 'customerName', descending: true }, 2))]).toEqual(['cyd', 'bob', 'ann'])
    expect((await drill({ sort: { field: 'firstResponseCalendarMs' } })).rows.map((r) => r.customerName)).toEqual(['ann', 'bob', 'cyd'])
    expect((await drill({ sort: { field: 'firstResponseCalendarMs', descending: true } })).rows.map((r) => r.customerName)).toEqual(['bob', 'ann', 'cyd'])
    await expect(core.handle('reports.drill', { query, key: 'created', limit: 0 })).rejects.toThrow()

    const unknown = await api(t.server.url, 'GET', path.replace('firstResponse', 'nonsense'), { token: supervisor.token })
    expect(unknown.status).toBe(404)

    const csv = await fetch(`${t.server.url}${path}&format=csv`, { headers: { authorization: `Bearer ${supervisor.token}` } })
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/)
    const text = await csv.text()
    const [header, ...lines] = text.trimEnd().split('\r\n')
    expect(header).toContain('created_at (Europe/Berlin)')
    expect(lines).toHaveLength(2)
    expect(lines.find((l) => l.startsWith(a.conversationId))).toContain(',600000,')

    const downloads = tempDir()
    dirs.push(downloads)
    process.env.THREADLINE_DOWNLOADS_DIR = downloads.path
    try {
      const saved = (await core.handle('reports.exportCsv', { query, key: 'firstResponse' })) as IpcResults['reports.exportCsv']
      expect(saved.name).toMatch(/^threadline-report-firstResponse-2026-11-0\d-to-2026-11-0\d\.csv$/)
      expect(readFileSync(saved.path, 'utf8')).toBe(text)
    } finally {
      delete process.env.THREADLINE_DOWNLOADS_DIR
    }
  })

  it('carry each resolved conversation’s wrap-up in its row, over REST, in the client core and in the CSV', async () => {
    t = await startTestServer({ summaryDebounceMs: 150, summaryMaxWaitMs: 5_000 })
    const { a, b } = await scenario(t.server)
    const supervisor = await userWithToken(t.server, 'Sol', { role: 'supervisor' })
    const wrapUp = await eventually(async () => {
      const res = await api<{ items: Summary[] }>(t!.server.url, 'GET', `/api/v1/customers/${a.customerId}/summaries`, { token: supervisor.token })
      return res.body.items.find((s) => s.kind === 'wrap_up')
    }, 'the wrap-up')
    expect(wrapUp.text).not.toBe('')

    const path = `/api/v1/reports/conversations?${queryString}&figure=firstResponse`
    const rest = await api<IpcResults['reports.drill']>(t.server.url, 'GET', path, { token: supervisor.token })
    expect(rest.body.rows.find((r) => r.id === a.conversationId)?.wrapUp).toBe(wrapUp.text)
    expect(rest.body.rows.find((r) => r.id === b.conversationId)?.wrapUp).toBeNull()
    const csv = await (await fetch(`${t.server.url}${path}&format=csv`, { headers: { authorization: `Bearer ${supervisor.token}` } })).text()
    expect(csv.split('\r\n')[0]!.split(',').at(-1)).toBe('wrap_up')
    expect(csv).toContain(`,${csvField(wrapUp.text)}\r\n`)

    const dir = tempDir()
    dirs.push(dir)
    core = await createCore({ dataDir: join(dir.path, 'client'), serverUrl: t.server.url, token: supervisor.token })
    await waitUntilSynced(core, t.server)
    const local = (await core.handle('reports.drill', { query, key: 'firstResponse' })) as IpcResults['reports.drill']
    expect(local.rows.map((r) => [r.id, r.wrapUp]).sort()).toEqual(rest.body.rows.map((r) => [r.id, r.wrapUp]).sort())
  })

  it('explain a bad query in words', async () => {
    t = await startTestServer()
    const supervisor = await userWithToken(t.server, 'Sol', { role: 'supervisor' })
    const backwards = await api(t.server.url, 'GET', `/api/v1/reports?from=${query.to}&to=${query.from}`, { token: supervisor.token })
    expect(backwards.status).toBe(400)
    expect(JSON.stringify(backwards.body)).toMatch(/must end after it starts/)
    const zone = await api(t.server.url, 'GET', `/api/v1/reports?${queryString.replace('Europe/Berlin', 'Mars/Olympus')}`, { token: supervisor.token })
    expect(zone.status).toBe(400)
    expect(JSON.stringify(zone.body)).toMatch(/time zone/)
  })
})
