import { describe, expect, it } from 'vitest'
import type { SummaryItem } from '../summaries'
import { lastLine, leakedValues, matchesGold, meetsTargets, scoreCase, totals, type GoldFact } from './evaluation'

const items: SummaryItem[] = [
  { id: 'm1', kind: 'message', conversationId: 'c1', channel: 'email', author: 'customer', at: 1, text: 'My order A-10293 is late, please refund it.' },
  { id: 'm2', kind: 'message', conversationId: 'c1', channel: 'email', author: 'agent', at: 2, text: "I'll refund order A-10293 today." },
]
const gold: GoldFact[] = [
  { kind: 'identifier', value: 'a-10293', sources: ['m1', 'm2'] },
  { kind: 'promise', keywords: ['Refund', 'today'], sources: ['m2'] },
  { kind: 'date', value: 'Friday', sources: ['m2'] },
]

describe('summary evaluation', () => {
  it('matches a value case-insensitively and keywords all together, citing a gold source', () => {
    expect(matchesGold({ kind: 'identifier', text: 'Order', value: 'A-10293', sourceIds: ['m2'] }, gold[0]!)).toBe(true)
    expect(matchesGold({ kind: 'identifier', text: 'Order', value: 'A-10293', sourceIds: ['m3'] }, gold[0]!)).toBe(false)
    expect(matchesGold({ kind: 'promise', text: "I'll refund order A-10293 today.", sourceIds: ['m2'] }, gold[1]!)).toBe(true)
    expect(matchesGold({ kind: 'promise', text: "I'll refund it.", sourceIds: ['m2'] }, gold[1]!)).toBe(false)
  })

  it('scores recall, supported citations and invented values', () => {
    const s = scoreCase(items, gold, {
      text: 'Asked: a refund. Open on email.',
      facts: [
        { kind: 'identifier', text: 'Order A-10293', value: 'A-10293', sourceIds: ['m1', 'm2'] },
        { kind: 'promise', text: "I'll refund order A-10293 today.", sourceIds: ['m2'] },
        // Cited by an item that does not say it: unsupported, and a value nobody wrote.
        { kind: 'amount', text: '$10', value: '$10', sourceIds: ['m1'] },
        // Cites an item that is not there.
        { kind: 'request', text: 'please refund it', sourceIds: ['m9'] },
      ],
    })
    expect(s).toMatchObject({ gold: 3, matched: 2, facts: 4, citations: 5, supported: 3, invented: 2, storyWords: 6, leaks: 0 })
    const t = totals([s])
    expect(lastLine(t)).toBe('summaries: recall 0.67, citation precision 0.60, invented identifiers 2 over 1 cases, personal data leaked 0')
  })

  it('finds a personal value as written, in any case, or with its separators changed', () => {
    const personal = ['Priya.Raman@example.com', '4111 1111 1111 1111', '+1 202-555-0147', 'GB82 WEST 1234 5698 7654 32']
    expect(leakedValues(personal, ['Refund to [CARD_1]; write to [EMAIL_1].'])).toEqual([])
    expect(leakedValues(personal, ['Write to priya.raman@example.com.'])).toEqual(['Priya.Raman@example.com'])
    expect(leakedValues(personal, ['{"content":"card 4111-1111-1111-1111, call (202) 555 0147 or +12025550147"}'])).toEqual(['4111 1111 1111 1111', '+1 202-555-0147'])
    expect(leakedValues(personal, ['Story.', 'IBAN GB82WEST12345698765432'])).toEqual(['GB82 WEST 1234 5698 7654 32'])
  })

  it('counts the leaks of a case and misses the targets with one', () => {
    const draft = { text: 'Wants order A-10293 refunded; email priya@example.com.', facts: [] }
    const s = scoreCase(items, gold, draft, { personal: ['priya@example.com', '07700 900481'], texts: [draft.text] })
    expect(s.leaks).toBe(1)
    const t = { recall: 1, precision: 1, invented: 0, leaks: 1, cases: 1 }
    expect(meetsTargets(t)).toBe(false)
    expect(meetsTargets({ ...t, leaks: 0 })).toBe(true)
    expect(lastLine(t)).toBe('summaries: recall 1.00, citation precision 1.00, invented identifiers 0 over 1 cases, personal data leaked 1')
  })
})
