import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { systemActor } from '../../shared/actors'
import type { Conversation } from '../../shared/domain'
import { SlaPolicy } from '../../shared/reporting/sla'
import { conversation } from '../../core/testing/fixtures'
import { openSqliteStore } from '../store/sqlite/sqlite-store'
import type { Store } from '../store/store'
import type { Commit } from '../sync/commit'
import { recordingReports } from './recorder'
import { markSlaBreaches } from './sla-breaches'

const MINUTE = 60_000
const T = Date.UTC(2026, 2, 9, 9)
const POLICY = SlaPolicy.parse({ name: 'Fast', firstResponseMinutes: 10 })

let dir: string
let store: Store
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-sla-'))
  // Around the clock: business time is calendar time.
  store = recordingReports(openSqliteStore(path.join(dir, 'server.sqlite')), () => null, [POLICY])
})
afterEach(async () => {
  await store.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

/** Begun at T by a customer still waiting, in Billing's queue. */
const waiting = (id: string, over: Partial<Conversation> = {}): Conversation =>
  conversation(id, 'cu1', { inbox: 'Support', team: 'Billing', lastMessageAt: T, waitingSince: T, createdAt: T, updatedAt: T, ...over })

const put = (c: Conversation) =>
  store.write(async (w) => {
    if (!(await w.getCustomer('cu1'))) {
      await w.put('customer', { id: 'cu1', name: 'Priya', labels: [], attributes: {}, consent: {}, createdAt: T, updatedAt: T, lastActivityAt: T })
    }
    await w.put('conversation', c)
  }, systemActor('test'))

const breaches = async () => (await store.reportingEventsBetween(0, T + 1000 * MINUTE, null)).filter((e) => e.kind === 'sla_breached')
const commit: Commit = async (fn) => (await store.write(fn, systemActor('sla'))).result

describe('the SLA breach check', () => {
  it('starts the clocks itself, whatever a writer passes as the conversation’s SLA', async () => {
    const forged = { policy: 'Forged', replied: true, firstResponse: null, nextResponse: null, resolution: null }
    await put(waiting('a', { sla: forged }))
    expect((await store.getConversation('a'))?.sla).toMatchObject({ policy: 'Fast', firstResponse: { state: 'active', dueAt: T + 10 * MINUTE } })
  })

  it('marks each conversation whose target passed, records the breach once, and leaves the others', async () => {
    await put(waiting('late'))
    await put(waiting('early', { createdAt: T + 5 * MINUTE, lastMessageAt: T + 5 * MINUTE, waitingSince: T + 5 * MINUTE, updatedAt: T + 5 * MINUTE }))
    const deps = { store, commit, log: { error: () => undefined } }
    expect(await markSlaBreaches({ ...deps, now: () => T + 12 * MINUTE })).toBe(1)
    expect((await store.getConversation('late'))?.sla?.firstResponse).toMatchObject({ state: 'breached', dueAt: T + 10 * MINUTE })
    expect((await store.getConversation('early'))?.sla?.firstResponse?.state).toBe('active')
    expect(await breaches()).toMatchObject([{ conversationId: 'late', slaTarget: 'first_response', at: T + 10 * MINUTE, team: 'Billing' }])
    // Checked again: the breached one is out of the scan.
    expect(await markSlaBreaches({ ...deps, now: () => T + 13 * MINUTE })).toBe(0)
    expect(await breaches()).toHaveLength(1)
  })
})
