import { describe, expect, it } from 'vitest'
import type { Conversation } from '../../../../shared/domain'
import { PICKER_CONVERSATIONS, pickerConversations, pickerLabels } from './conversation-picker'

const conv = (n: number) => ({ id: `c${n}`, lastMessageAt: n }) as Conversation

describe('pickerConversations', () => {
  const many = Array.from({ length: 200 }, (_, i) => conv(i))

  it('lists the most recent conversations, newest first', () => {
    const shown = pickerConversations(many, 'c199')
    expect(shown).toHaveLength(PICKER_CONVERSATIONS)
    expect(shown.map((c) => c.id).slice(0, 3)).toEqual(['c199', 'c198', 'c197'])
  })

  it('keeps an older chosen conversation, after the recent ones', () => {
    const shown = pickerConversations(many, 'c3')
    expect(shown).toHaveLength(PICKER_CONVERSATIONS + 1)
    expect(shown.at(-1)?.id).toBe('c3')
  })

  it('lists every conversation of a customer with few', () => {
    expect(pickerConversations([conv(1), conv(2)], 'c1').map((c) => c.id)).toEqual(['c2', 'c1'])
  })
})

describe('pickerLabels', () => {
  const at = (d: number, h: number) => new Date(2026, 2, d, h).getTime()
  const c = (id: string, over: Partial<Conversation>) =>
    ({ id, channel: 'chat', subject: null, status: 'resolved', createdAt: at(3, 8), lastMessageAt: at(3, 9), ...over }) as Conversation

  it('tells apart conversations that would read the same after a merge', () => {
    const labels = pickerLabels([
      c('a', { lastMessageAt: at(3, 9) }),
      c('b', { lastMessageAt: at(3, 15) }),
      c('e1', { channel: 'email', subject: 'Kettle', status: 'open', createdAt: 1 }),
      c('e2', { channel: 'email', subject: 'Kettle', status: 'open', createdAt: 2 }),
      c('s', { channel: 'sms' }),
    ])
    expect(new Set(labels.values()).size).toBe(5)
    expect(labels.get('a')).toMatch(/^Chat · .+ · .+/)
    expect(labels.get('e1')).toMatch(/^Email · Kettle \(open\) · .+ · #1$/)
    expect(labels.get('e2')).toMatch(/ · #2$/)
    expect(labels.get('s')).toMatch(/^SMS · [^·]+$/)
  })
})
