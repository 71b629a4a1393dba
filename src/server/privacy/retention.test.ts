import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { systemActor } from '../../shared/actors'
import type { Channel, Conversation, ConversationStatus, Customer, Message } from '../../shared/domain'
import type { RetentionSettings } from '../../shared/retention'
import { openSqliteStore } from '../store/sqlite/sqlite-store'
import type { Store } from '../store/store'
import { ChangeFeed } from '../sync/commit'
import { retentionRuns, runRetention, saveRetentionSettings, type RetentionDeps } from './retention'

/** Retention over a generated history, against a real SQLite store, with a clock the test sets. */

const DAY = 86_400_000
const NOW = Date.UTC(2026, 11, 1)
const INBOXES: { inbox: string; channel: Channel }[] = [
  { inbox: 'Support', channel: 'email' },
  { inbox: 'SMS', channel: 'sms' },
  { inbox: 'Website', channel: 'chat' },
]
const STATUSES: ConversationStatus[] = ['resolved', 'resolved', 'open', 'pending', 'snoozed']

let dir: string
let store: Store
let deps: RetentionDeps
let purgeAsked = 0

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-retention-'))
  store = openSqliteStore(path.join(dir, 'server.sqlite'))
  const feed = new ChangeFeed(store)
  purgeAsked = 0
  deps = {
    store,
    commit: feed.as(systemActor('retention')),
    attachmentsDir: path.join(dir, 'attachments'),
    log: { info: () => undefined, error: () => undefined },
    purgeSoon: () => void purgeAsked++,
    now: () => NOW,
  }
})
afterEach(async () => {
  await store.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

interface Generated {
  customer: Customer
  conversations: Conversation[]
  messages: Message[]
}

/**
 * Customers with a few conversations each across the inboxes, statuses and ages (up to two years
 * old), deterministic so the expectations below are computed from the same data.
 */
async function generate(customers: number): Promise<Generated[]> {
  const history: Generated[] = []
  let n = 0
  const write = deps.commit
  for (let c = 0; c < customers; c++) {
    const conversations: Conversation[] = []
    const messages: Message[] = []
    const count = 1 + (c % 3)
    let lastActivity = 0
    for (let k = 0; k < count; k++) {
      const i = n++
      const { inbox, channel } = INBOXES[i % INBOXES.length]!
      const age = ((i * 37) % 730) * DAY
      const at = NOW - age
      lastActivity = Math.max(lastActivity, at)
      const conversation: Conversation = {
        id: `v${i}`,
        customerId: `c${c}`,
        channel,
        inbox,
        subject: null,
        status: STATUSES[i % STATUSES.length]!,
        snoozedUntil: null,
        assigneeId: null,
        team: null,
        threadKey: `t${i}`,
        labels: [],
        priority: 'normal',
        previousConversationId: null,
        lastMessageAt: at,
        waitingSince: null,
        createdAt: at,
        updatedAt: at,
      }
      conversations.push(conversation)
      messages.push({
        id: `m${i}`,
        conversationId: conversation.id,
        customerId: `c${c}`,
        channel,
        direction: 'inbound',
        authorId: null,
        authorName: `Customer ${c}`,
        subject: null,
        text: `Unique sentence number ${i} about a broken lamp`,
        html: null,
        attachments: [],
        externalId: `x${i}`,
        deliveryStatus: 'received',
        deliveryError: null,
        sentAt: at,
        updatedAt: at,
      })
    }
    const customer: Customer = {
      id: `c${c}`,
      name: `Customer ${c}`,
      labels: [],
      attributes: {},
      consent: {},
      createdAt: lastActivity,
      updatedAt: lastActivity,
      lastActivityAt: lastActivity,
    }
    await write(async (w) => {
      await w.put('customer', customer)
      for (const v of conversations) await w.put('conversation', v)
      for (const m of messages) await w.put('message', m)
    })
    history.push({ customer, conversations, messages })
  }
  return history
}

const SETTINGS: RetentionSettings = {
  rules: [
    { inbox: null, channel: null, deleteAfterDays: 365 },
    { inbox: 'SMS', channel: null, deleteAfterDays: 30 },
    { inbox: 'Website', channel: 'chat', deleteAfterDays: 500 },
  ],
  customersWithoutConversationsDays: 90,
}

/** SETTINGS' rules worked out by hand: the most specific rule covering the conversation. */
const settingsDays = (v: Conversation): number => (v.inbox === 'SMS' ? 30 : v.inbox === 'Website' && v.channel === 'chat' ? 500 : 365)

/** What rules say independently of the implementation: resolved conversations only; customers left with none after 90 days. */
function expectedGone(history: Generated[], days: (v: Conversation) => number): { conversations: Set<string>; customers: Set<string> } {
  const conversations = new Set(
    history.flatMap((h) => h.conversations).filter((v) => v.status === 'resolved' && v.updatedAt < NOW - days(v) * DAY).map((v) => v.id),
  )
  const customers = new Set(
    history
      .filter((h) => h.conversations.every((v) => conversations.has(v.id)) && h.customer.lastActivityAt < NOW - 90 * DAY)
      .map((h) => h.customer.id),
  )
  return { conversations, customers }
}

describe('retention', () => {
  it('previews exactly what a run then deletes, and logs both', async () => {
    const history = await generate(120)
    const expected = expectedGone(history, settingsDays)
    expect(expected.conversations.size).toBeGreaterThan(20)
    expect(expected.customers.size).toBeGreaterThan(3)
    await store.write((w) => saveRetentionSettings(w, SETTINGS))

    const before = await store.lastSeq()
    const preview = await runRetention(deps, { dryRun: true, requestedBy: 'u-admin' })
    expect(preview).toMatchObject({ dryRun: true, conversations: expected.conversations.size, customers: expected.customers.size, error: null })
    expect(await store.lastSeq()).toBe(before)
    for (const id of expected.conversations) expect(await store.getConversation(id)).not.toBeNull()

    const run = await runRetention(deps, { dryRun: false, requestedBy: null })
    expect(run).toMatchObject({ dryRun: false, conversations: expected.conversations.size, customers: expected.customers.size, error: null })
    expect(run.byRule.map((r) => r.conversations).reduce((a, b) => a + b)).toBe(expected.conversations.size)
    expect((await retentionRuns(store)).map((r) => r.dryRun)).toEqual([false, true])

    for (const h of history) {
      for (const v of h.conversations) {
        const kept = await store.getConversation(v.id)
        expect(kept === null, `conversation ${v.id} (${v.inbox}, ${v.status})`).toBe(expected.conversations.has(v.id))
      }
      expect((await store.getCustomer(h.customer.id)) === null, `customer ${h.customer.id}`).toBe(expected.customers.has(h.customer.id))
    }
    if (expected.customers.size > 0) expect(purgeAsked).toBe(1)
    // Named as the rules' doing, in the erasures waiting for their purge and in the audit log.
    expect((await store.listErasures()).map((e) => e.requestedBy)).toEqual([...expected.customers].map(() => 'retention'))
    const audit = await store.auditEntries({ action: 'customer.erased', limit: 500 })
    expect(audit.items.map((e) => e.actor)).toEqual([...expected.customers].map(() => 'system:retention'))

    // A second run finds nothing more to do.
    expect(await runRetention(deps, { dryRun: false, requestedBy: null })).toMatchObject({ conversations: 0, customers: 0 })
  })

  it('leaves no text of a deleted conversation in the change log, and tells clients to drop each row', async () => {
    const history = await generate(30)
    await store.write((w) => saveRetentionSettings(w, { rules: [{ inbox: null, channel: null, deleteAfterDays: 365 }], customersWithoutConversationsDays: null }))
    const expected = expectedGone(history, () => 365)
    const seqBefore = await store.lastSeq()
    await runRetention(deps, { dryRun: false, requestedBy: null })
    const gone = history.flatMap((h) => h.messages).filter((m) => expected.conversations.has(m.conversationId))
    expect(gone.length).toBeGreaterThan(0)

    const log = await store.changesSince(0, 1_000_000)
    const text = JSON.stringify(log)
    for (const m of gone) expect(text).not.toContain(m.text)
    const deletes = log.filter((c) => c.seq > seqBefore && c.op === 'delete')
    for (const m of gone) expect(deletes.some((c) => c.entity === 'message' && c.id === m.id)).toBe(true)
    for (const id of expected.conversations) expect(deletes.some((c) => c.entity === 'conversation' && c.id === id)).toBe(true)
    // What stays is intact.
    const kept = history.flatMap((h) => h.messages).find((m) => !expected.conversations.has(m.conversationId))!
    expect(await store.getMessage(kept.id)).toMatchObject({ text: kept.text })
  })

  it('keeps a conversation reopened between the scan and its deletion', async () => {
    const history = await generate(30)
    await store.write((w) => saveRetentionSettings(w, { rules: [{ inbox: null, channel: null, deleteAfterDays: 365 }], customersWithoutConversationsDays: null }))
    const expected = expectedGone(history, () => 365)
    const reopenedId = [...expected.conversations][0]!
    const commit = deps.commit
    let first = true
    // A new message lands just before the run's first write: the conversation is open again.
    const racing: RetentionDeps = {
      ...deps,
      commit: async (fn) => {
        if (first) {
          first = false
          const v = (await store.getConversation(reopenedId))!
          await commit((w) => w.put('conversation', { ...v, status: 'open', updatedAt: NOW }))
        }
        return commit(fn)
      },
    }
    const run = await runRetention(racing, { dryRun: false, requestedBy: null })
    expect(run.conversations).toBe(expected.conversations.size - 1)
    expect(await store.getConversation(reopenedId)).toMatchObject({ status: 'open' })
    expect(await store.getMessage(history.flatMap((h) => h.messages).find((m) => m.conversationId === reopenedId)!.id)).not.toBeNull()
  })

  it('does nothing without rules, and keeps every open, pending and snoozed conversation however old', async () => {
    const history = await generate(30)
    expect(await runRetention(deps, { dryRun: false, requestedBy: null })).toMatchObject({ conversations: 0, customers: 0 })
    await store.write((w) => saveRetentionSettings(w, { rules: [{ inbox: null, channel: null, deleteAfterDays: 1 }], customersWithoutConversationsDays: null }))
    await runRetention(deps, { dryRun: false, requestedBy: null })
    for (const v of history.flatMap((h) => h.conversations)) {
      expect((await store.getConversation(v.id)) !== null).toBe(v.status !== 'resolved' || v.updatedAt >= NOW - DAY)
    }
  })
})
