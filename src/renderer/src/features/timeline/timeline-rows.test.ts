import { describe, expect, it } from 'vitest'
import type { Conversation, Message, TimelineEvent } from '../../../../shared/domain'
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

  it('shows a merge that moved several conversations as one line', () => {
    const merged = (id: string, conversationId: string, mergeId: string): TimelineItem => ({
      kind: 'event',
      at: day(2, 12),
      item: { id, conversationId, type: 'customer_merged', data: { mergeId } } as unknown as TimelineEvent,
      outbox: null,
    })
    const rows = timelineRows(
      [msg('a', 'email', day(2, 9)), merged('e1', 'email', 'merge-1'), merged('e2', 'sms', 'merge-1'), merged('e3', 'chat', 'merge-1'), merged('e4', 'sms', 'merge-2')],
      [conv('email', 'email'), conv('sms', 'sms'), conv('chat', 'chat')],
    )
    expect(rows.filter((r) => r.type === 'item').map((r) => r.entry.item.id)).toEqual(['a', 'e1', 'e4'])
    expect(rows.filter((r) => r.type === 'thread').map((r) => r.conversationId)).toEqual(['email', 'sms'])
  })
})
