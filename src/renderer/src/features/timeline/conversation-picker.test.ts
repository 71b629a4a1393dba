import { describe, expect, it } from 'vitest'
import type { Conversation } from '../../../../shared/domain'
import { PICKER_CONVERSATIONS, pickerConversations } from './conversation-picker'

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
