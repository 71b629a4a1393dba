import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Conversation } from '../../shared/domain'
import { CHANNELS, CONVERSATION_STATUSES } from '../../shared/domain-values'
import type { LiveConversation } from '../../shared/ipc'
import { computeLiveQueues, liveFigureConversations, queuedConversation, QUEUE_STATES, SLA_AT_RISK_MS, type LiveFigure } from '../../shared/reporting/live-queues'
import type { ConversationSla, SlaClockState } from '../../shared/reporting/sla'
import { conversation, customer, tempDir } from '../testing/fixtures'
import { openCache } from './open'
import { upsertServerEntity } from './queries'
import { liveFigurePage, liveQueues } from './report-queries'

let dir: ReturnType<typeof tempDir>
beforeEach(() => {
  dir = tempDir()
})
afterEach(() => dir.remove())

const T = Date.UTC(2026, 11, 1, 9)

const sla = (state: SlaClockState, dueAt: number | null): ConversationSla => ({
  policy: 'Standard',
  replied: false,
  firstResponse: { startedAt: T - 3_600_000, dueAt, state, remainingMs: state === 'paused' ? 60_000 : null },
  nextResponse: null,
  resolution: null,
})

describe('live queues from the cache', () => {
  it('count and list exactly what the shared computation does over every conversation', () => {
    const db = openCache(dir.path, null)
    let seed = 7
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!
    // Ids whose byte order is not the locale's (case, punctuation), waits tied past the tenth, a team named '' beside none.
    const ids = Array.from({ length: 240 }, (_, i) => `${pick(['a', 'B', 'b', 'a-', 'A_'])}${pick(['x', 'Y', '-z', ''])}${i}`)
    const conversations: Conversation[] = ids.map((id, i) => {
      const status = pick(CONVERSATION_STATUSES)
      return conversation(id, `cust-${i % 50}`, {
        channel: pick(CHANNELS),
        inbox: pick(['Support', 'support', 'Sales', 'Ärger']),
        team: pick([null, '', 'Billing', 'billing', 'Returns']),
        status,
        subject: pick([null, 'Refund', 'Wo ist "mein" Paket?\n']),
        assigneeId: pick([null, 'u1', 'u2']),
        waitingSince: pick([null, T - 5_000, T - 5_000, T - 60_000, T]),
        // Due long ago, just now, within the hour at risk, just past it, or nothing unmet (a paused or met clock).
        sla: pick([null, sla('active', T - 60_000), sla('breached', T), sla('active', T + 1), sla('active', T + SLA_AT_RISK_MS), sla('active', T + SLA_AT_RISK_MS + 1), sla('paused', null), sla('achieved', T - 1)]),
      })
    })
    for (let i = 0; i < 40; i++) upsertServerEntity(db, 'customer', customer(`cust-${i}`))
    for (const c of conversations) upsertServerEntity(db, 'conversation', c)

    const queued = conversations.map(queuedConversation)
    expect(liveQueues(db, T)).toEqual(computeLiveQueues(queued, T))

    const names = new Map(Array.from({ length: 40 }, (_, i) => [`cust-${i}`, customer(`cust-${i}`).name]))
    const expected = (figure: LiveFigure): LiveConversation[] =>
      liveFigureConversations(conversations.map(queuedConversation), figure, T).map((c) => ({
        conversationId: c.id,
        customerId: c.customerId,
        customerName: names.get(c.customerId) ?? null,
        subject: conversations.find((d) => d.id === c.id)!.subject,
        channel: c.channel,
        inbox: c.inbox,
        status: c.status,
        assigneeId: c.assigneeId,
        waitingSince: c.waitingSince,
      }))
    const queues = computeLiveQueues(queued, T)
    expect(queues.totals.slaAtRisk).toBeGreaterThan(0)
    expect(queues.totals.slaBreached).toBeGreaterThan(0)
    const figures: LiveFigure[] = QUEUE_STATES.flatMap((state) => [
      { dimension: 'all' as const, key: '', state },
      ...queues.byChannel.map((r) => ({ dimension: 'channel' as const, key: r.key, state })),
      ...queues.byInbox.map((r) => ({ dimension: 'inbox' as const, key: r.key, state })),
      ...queues.byTeam.map((r) => ({ dimension: 'team' as const, key: r.key, state })),
      { dimension: 'inbox' as const, key: 'Nowhere', state },
    ])
    // Read in pages of 7, the way a dialog turns them; an agent's share is their rows of the figure.
    const pages = (figure: LiveFigure & { assigneeId?: string }): LiveConversation[] => {
      const rows: LiveConversation[] = []
      for (let offset = 0; ; offset += 7) {
        const page = liveFigurePage(db, figure, { offset, limit: 7 }, T)
        expect(page.offset).toBe(offset)
        rows.push(...page.rows)
        if (offset + 7 >= page.total) {
          expect(rows).toHaveLength(page.total)
          return rows
        }
      }
    }
    for (const figure of figures) {
      expect(pages(figure), JSON.stringify(figure)).toEqual(expected(figure))
      for (const assigneeId of ['u1', 'u2']) {
        expect(pages({ ...figure, assigneeId }), `${assigneeId} ${JSON.stringify(figure)}`).toEqual(expected(figure).filter((c) => c.assigneeId === assigneeId))
      }
    }
    db.close()
  })

  it('read the conversations from indexes alone, in their order', () => {
    const db = openCache(dir.path, null)
    const plans: string[] = []
    const prepare = db.prepare.bind(db)
    db.prepare = ((sql: string) => {
      if (!sql.startsWith('EXPLAIN')) plans.push(...(prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ key: '', now: T, assigneeId: null, offset: 0, limit: 100 }) as { detail: string }[]).map((r) => r.detail))
      return prepare(sql)
    }) as typeof db.prepare
    liveQueues(db, T)
    const listed = plans.length
    liveFigurePage(db, { dimension: 'team', key: '', state: 'open' }, { offset: 100, limit: 100 }, T)
    db.prepare = prepare
    // The list is in order as it leaves this index; any other would leave it all to the sort.
    expect(plans.slice(listed).join('\n')).toMatch(/SEARCH c USING COVERING INDEX idx_conversations_live_list \(status=\?\)/)
    const onConversations = plans.filter((p) => /\bconversations\b|^(SEARCH|SCAN) c\b/.test(p))
    expect(onConversations.length).toBeGreaterThan(0)
    expect(onConversations.every((p) => p.includes('USING COVERING INDEX')), onConversations.join('\n')).toBe(true)
    expect(plans.some((p) => p.includes('TEMP B-TREE'))).toBe(false)
    db.close()
  })
})
