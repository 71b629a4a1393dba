import { describe, expect, it } from 'vitest'
import type { Conversation, Message } from '../../../../shared/domain'
import type { TimelineItem } from '../../../../shared/ipc'
import { timelineRows } from './timeline-rows'

const conv = (id: string, channel: Conversation['channel']) => ({ id, channel, subject: null }) as unknown as Conversation
const msg = (id: string, conversationId: string, at: number): TimelineItem => ({
  kind: 'message',
  at,
  item: { id, conversationId } as Message,
  outbox: null,
})
const day = (d: number, h: number) => new Date(2026, 2, d, h).getTime()

describe('timelineRows', () => {
  it('groups consecutive items of a conversation under one header, and starts again on a new day', () => {
    const rows = timelineRows(
      [msg('a', 'email', day(2, 9)), msg('b', 'email', day(2, 10)), msg('c', 'sms', day(2, 11)), msg('d', 'email', day(2, 12)), msg('e', 'email', day(3, 9))],
      [conv('email', 'email'), conv('sms', 'sms')],
    )
    expect(rows.map((r) => (r.type === 'item' ? r.entry.item.id : r.type === 'thread' ? `[${r.conversationId}]` : 'day'))).toEqual([
      'day', '[email]', 'a', 'b', '[sms]', 'c', '[email]', 'd', 'day', '[email]', 'e',
    ])
    expect(rows[1]).toMatchObject({ type: 'thread', conversation: { channel: 'email' } })
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length)
  })

  it('names no conversation it does not know, rather than failing', () => {
    expect(timelineRows([msg('a', 'gone', 1)], [])[1]).toMatchObject({ type: 'thread', conversation: null })
  })
})
