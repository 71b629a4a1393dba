import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { InboundArrived } from '../../shared/ipc'
import { openCache } from '../db/open'
import { setSyncUser } from '../db/queries'
import { changes, conversation, customer, message, tempDir, user } from '../testing/fixtures'
import { applyBatch } from './apply'
import type { ReportingEvent } from '../../shared/reporting/events'
import { arrivedSlaBreaches, InboundAnnouncer, newInboundMessages, newSlaBreaches, ownInbound } from './inbound-notify'

let dir: ReturnType<typeof tempDir>
let db: Database
beforeEach(() => {
  dir = tempDir()
  db = openCache(dir.path, 'http://127.0.0.1:4100')
  setSyncUser(db, 'me')
})
afterEach(() => {
  db.close()
  dir.remove()
})

const mine = conversation('v-mine', 'c1', { assigneeId: 'me' })
const theirs = conversation('v-theirs', 'c1', { assigneeId: 'someone-else' })

/** Applies a batch the way the engine does: new arrivals read before, ownership after the commit. */
function arrive(batch: Parameters<typeof applyBatch>[1]): InboundArrived['items'] {
  const fresh = newInboundMessages(db, batch.changes)
  applyBatch(db, batch)
  return ownInbound(db, fresh, 'me')
}

describe('inbound arrivals', () => {
  it('announces only new inbound messages in the agent’s own conversations', () => {
    const first = arrive({
      after: 0,
      cursor: 6,
      changes: changes(1, [
        ['user', user('me')],
        ['customer', customer('c1', { name: 'Priya' })],
        ['conversation', mine],
        ['conversation', theirs],
        ['message', message('m1', mine, 10, { text: 'where is my parcel?' })],
        ['message', message('m2', theirs, 11)],
      ]),
    })
    expect(first).toEqual([
      { messageId: 'm1', conversationId: 'v-mine', customerId: 'c1', customerName: 'Priya', channel: 'email', preview: 'where is my parcel?' },
    ])
    // The same message again (a delivery update) and an outbound reply are not news.
    const again = arrive({
      after: 6,
      cursor: 8,
      changes: changes(7, [
        ['message', message('m1', mine, 10, { text: 'where is my parcel?' })],
        ['message', message('r1', mine, 12, { direction: 'outbound', authorId: 'me', deliveryStatus: 'sent' })],
      ]),
    })
    expect(again).toEqual([])
  })

  it('counts a message whose conversation is assigned to the agent in the same batch', () => {
    applyBatch(db, { after: 0, cursor: 3, changes: changes(1, [['user', user('me')], ['customer', customer('c1')], ['conversation', theirs]]) })
    const items = arrive({
      after: 3,
      cursor: 5,
      changes: changes(4, [
        ['message', message('m3', theirs, 20)],
        ['conversation', { ...theirs, assigneeId: 'me' }],
      ]),
    })
    expect(items.map((i) => i.messageId)).toEqual(['m3'])
  })
})

describe('InboundAnnouncer', () => {
  const item = (n: number, conversationId = `v${n % 3}`): InboundArrived['items'][number] => ({
    messageId: `m${n}`,
    conversationId,
    customerId: 'c1',
    customerName: 'Priya',
    channel: 'sms',
    preview: `hello ${n}`,
  })

  it('announces live arrivals one batch at a time', () => {
    const heard: InboundArrived[] = []
    const announcer = new InboundAnnouncer((a) => heard.push(a))
    announcer.add([item(1)])
    announcer.add([])
    announcer.add([item(2)])
    expect(heard).toEqual([
      { items: [item(1)], batched: false },
      { items: [item(2)], batched: false },
    ])
  })

  it('gathers everything a catch-up brings, over many pull batches, into one announcement', () => {
    const heard: InboundArrived[] = []
    const announcer = new InboundAnnouncer((a) => heard.push(a))
    announcer.beginCatchUp(false)
    announcer.add([item(1), item(2)])
    announcer.add([item(3)])
    announcer.add([item(4), item(5)])
    expect(heard).toEqual([])
    announcer.endCatchUp()
    expect(heard).toHaveLength(1)
    expect(heard[0]?.batched).toBe(true)
    expect(heard[0]?.items.map((i) => i.messageId)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5'])
    expect(new Set(heard[0]?.items.map((i) => i.conversationId)).size).toBe(3)
    // Live again afterwards.
    announcer.add([item(6)])
    expect(heard[1]).toEqual({ items: [item(6)], batched: false })
  })

  it('stays silent about the history a brand-new cache downloads, and about an empty catch-up', () => {
    const heard: InboundArrived[] = []
    const announcer = new InboundAnnouncer((a) => heard.push(a))
    announcer.beginCatchUp(true)
    // The first sync need not even look for arrivals.
    expect(announcer.listening).toBe(false)
    announcer.add([item(1)])
    announcer.endCatchUp()
    expect(announcer.listening).toBe(true)
    announcer.beginCatchUp(false)
    expect(announcer.listening).toBe(true)
    announcer.endCatchUp()
    expect(heard).toEqual([])
  })
})

describe('SLA breaches', () => {
  const breach = (id: string, team: string | null, slaTarget: ReportingEvent['slaTarget'] = 'first_response'): ReportingEvent => ({
    id,
    kind: 'sla_breached',
    conversationId: mine.id,
    customerId: 'c1',
    inbox: 'Support',
    channel: 'email',
    team,
    agentId: null,
    at: 100,
    calendarMs: null,
    businessMs: null,
    afterHours: false,
    fromChannel: null,
    rating: null,
    slaTarget,
  })
  const arriveAs = (role: 'agent' | 'supervisor', events: ReportingEvent[]) => {
    applyBatch(db, { after: 0, cursor: 2, changes: changes(1, [['user', user('me', { role, team: 'Billing' })], ['customer', customer('c1', { name: 'Priya' })]]) })
    const batch = { after: 2, cursor: 2 + events.length, changes: changes(3, events.map((e) => ['reportingEvent', e] as const)) }
    const fresh = newSlaBreaches(db, batch.changes, 'me')
    applyBatch(db, batch)
    return arrivedSlaBreaches(db, fresh)
  }

  it('tells a supervisor of the breaches in their team that the cache had not held', () => {
    expect(arriveAs('supervisor', [breach('e1', 'Billing'), breach('e2', 'Sales'), breach('e3', null), breach('e4', 'Billing', 'resolution')])).toEqual([
      { eventId: 'e1', conversationId: 'v-mine', customerId: 'c1', customerName: 'Priya', target: 'first_response' },
      { eventId: 'e4', conversationId: 'v-mine', customerId: 'c1', customerName: 'Priya', target: 'resolution' },
    ])
    expect(newSlaBreaches(db, changes(9, [['reportingEvent', breach('e1', 'Billing')]]), 'me')).toEqual([])
  })

  it('tells an agent nothing', () => {
    expect(arriveAs('agent', [breach('e1', 'Billing')])).toEqual([])
  })
})
