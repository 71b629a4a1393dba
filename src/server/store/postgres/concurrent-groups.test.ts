import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../../tests/support/postgres'
import { systemActor } from '../../../shared/actors'
import type { IngestResult, InboundMessage } from '../../../shared/ingest'
import { ingestInbound, prepareWithoutHtml } from '../../ingest/ingest'
import { recordingReports } from '../../reporting/recorder'
import type { Store, StoreWriter, WriteOutcome } from '../store'
import { openPostgresStore } from './postgres-store'

/**
 * Group commits of inbound items on two nodes at once (write-locks.ts): they write side by side,
 * so what one group reads, another may be changing. The items are the real ingest pipeline's,
 * through the reporting recorder, as a server runs them.
 */

const ACTOR = systemActor('test-connector')
const SENDERS = 8
const MESSAGES_EACH = 13
const GROUP = 4
const T0 = Date.UTC(2026, 10, 2, 9)
const HOUR = 3_600_000

const sender = (s: number): string => `sender${s}@example.test`

/**
 * Sender s's k-th message. The first reaches both nodes (a provider retrying on another node);
 * of the rest, node A takes the odd ones and node B the even ones. One node's messages are
 * dated an hour later than the other's, node A's for even senders and node B's for odd ones: so
 * whichever node commits last, a write of a customer or conversation from a read the other
 * node's commit made stale would move some sender's last activity back.
 */
function message(s: number, k: number): InboundMessage {
  const late = k > 0 && k % 2 === s % 2 ? 0 : HOUR
  const sentAt = k === 0 ? T0 + s : T0 + late + k * 1000 + s
  return {
    channel: 'email',
    inbox: 'support',
    externalId: `<m${s}-${k}@example.test>`,
    from: { kind: 'email', address: sender(s), name: `Sender ${s}` },
    alsoKnownAs: [],
    subject: `Question ${s}`,
    text: `message ${k} of sender ${s}`,
    attachments: [],
    references: [],
    sentAt,
  }
}

/** What a node is posted, in order: every sender's first message, then its share of the rest, each round over every sender. */
function posted(node: 'A' | 'B'): InboundMessage[] {
  const senders = Array.from({ length: SENDERS }, (_, s) => s)
  // Node B takes the first messages in the opposite order, so the two lock the same customers both ways round.
  const first = (node === 'A' ? senders : [...senders].reverse()).map((s) => message(s, 0))
  const rest: InboundMessage[] = []
  for (let k = node === 'A' ? 1 : 2; k < MESSAGES_EACH; k += 2) for (const s of senders) rest.push(message(s, k))
  return [...first, ...rest]
}

function ingestRun(item: InboundMessage): (w: StoreWriter) => Promise<IngestResult> {
  return (w) => ingestInbound(prepareWithoutHtml(item), { commit: (fn) => fn(w), actor: ACTOR, defaultCountry: 'US' })
}

/** Posts `all` to `node` in groups of GROUP, as its inbound service would; returns each item's outcome by external id. */
async function postAll(node: Store, all: readonly InboundMessage[]): Promise<Map<string, WriteOutcome<IngestResult>>> {
  const outcomes = new Map<string, WriteOutcome<IngestResult>>()
  for (let i = 0; i < all.length; i += GROUP) {
    const group = all.slice(i, i + GROUP)
    const result = await node.writeEach(group.map((item) => ({ actor: ACTOR, run: ingestRun(item) })))
    result.outcomes.forEach((outcome, j) => outcomes.set(group[j]!.externalId, outcome))
  }
  return outcomes
}

describe('PostgreSQL: group commits on two nodes at once', () => {
  let db: TestDatabase
  const open: Store[] = []

  beforeAll(async () => {
    db = await createTestDatabase()
  }, 60_000)
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()))
  })
  afterAll(() => db?.drop(), 60_000)

  it('stores every message once, one customer per sender, and loses no update, when both nodes write the same customers at once', { timeout: 60_000 }, async () => {
    const stores = await Promise.all([openPostgresStore(db.url), openPostgresStore(db.url)])
    open.push(...stores)
    const nodes = stores.map((s) => recordingReports(s, () => null))
    const [a, b] = await Promise.all([postAll(nodes[0]!, posted('A')), postAll(nodes[1]!, posted('B'))])

    for (const [node, outcomes] of [['A', a] as const, ['B', b] as const]) {
      for (const [externalId, outcome] of outcomes) {
        if (!outcome.ok) throw new Error(`node ${node} failed ${externalId}: ${String(outcome.error)}`)
      }
    }
    for (let s = 0; s < SENDERS; s++) {
      const id = message(s, 0).externalId
      const [first, second] = [a.get(id), b.get(id)]
      // One node stored it, the other found it stored: the same message either way.
      expect([first?.ok && first.result.duplicate, second?.ok && second.result.duplicate].sort()).toEqual([false, true])
      expect(first?.ok && first.result.itemId).toBe(second?.ok && second.result.itemId)
    }

    const store = stores[0]!
    const customers = await store.searchCustomers({ query: 'example.test', scope: null, limit: 100, offset: 0 })
    expect(customers).toHaveLength(SENDERS)
    for (let s = 0; s < SENDERS; s++) {
      const identity = await store.findIdentity('email', sender(s))
      expect(identity).not.toBeNull()
      const customer = await store.getCustomer(identity!.customerId)
      const conversations = await store.conversationsOf(identity!.customerId)
      const messages = (await Promise.all(conversations.map((c) => store.conversationItems(c.id)))).flatMap((i) => i.messages)
      expect(messages.map((m) => m.text).sort()).toEqual(Array.from({ length: MESSAGES_EACH }, (_, k) => `message ${k} of sender ${s}`).sort())
      // Each message moved its customer and conversation forward: a write based on a stale read would leave an earlier time.
      const latest = Math.max(...messages.map((m) => m.sentAt))
      expect(customer!.lastActivityAt).toBe(latest)
      for (const c of conversations) {
        const own = messages.filter((m) => m.conversationId === c.id)
        expect(c.lastMessageAt).toBe(Math.max(...own.map((m) => m.sentAt)))
      }
    }

    // The change log ends where the tables are: a client that applies it holds what the database holds.
    const log = await store.changesSince(0, 10_000)
    expect(log.map((c) => c.seq)).toEqual(log.map((_, i) => i + 1))
    // No change moved a customer's or conversation's last activity back, as a write from a stale read would have.
    const timesOf = (entity: string, field: string): Map<string, number[]> => {
      const times = new Map<string, number[]>()
      for (const c of log) if (c.entity === entity && c.data) times.set(c.id, [...(times.get(c.id) ?? []), c.data[field] as number])
      return times
    }
    for (const [entity, field] of [['customer', 'lastActivityAt'], ['conversation', 'lastMessageAt']] as const) {
      for (const [id, times] of timesOf(entity, field)) expect({ id, times }).toEqual({ id, times: [...times].sort((x, y) => x - y) })
    }
    const last = new Map(log.map((c) => [`${c.entity}:${c.id}`, c.data]))
    for (const customer of customers) expect(last.get(`customer:${customer.id}`)).toEqual(await store.getCustomer(customer.id))
    for (const customer of customers) {
      for (const conversation of await store.conversationsOf(customer.id)) expect(last.get(`conversation:${conversation.id}`)).toEqual(conversation)
    }
  })
})
