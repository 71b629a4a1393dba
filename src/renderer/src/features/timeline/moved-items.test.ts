import { describe, expect, it } from 'vitest'
import { describeMove, describeSwitch, itemCount } from './moved-items'

const labels = new Map([['v-email', 'Email · Invoice (open)']])
const labelOf = (id: string) => labels.get(id) ?? null

describe('timeline lines for moves and channel switches', () => {
  it('counts what moved', () => {
    expect(itemCount(3, 0)).toBe('3 messages')
    expect(itemCount(1, 0)).toBe('1 message')
    expect(itemCount(2, 1)).toBe('2 messages and 1 call')
    expect(itemCount(0, 2)).toBe('2 calls')
  })

  it('says where items went, where they came from, and that an undo put them back', () => {
    expect(describeMove({ direction: 'out', to: 'v-email', split: false, messageIds: ['a', 'b', 'c'], callIds: [] }, labelOf)).toBe('Moved 3 messages to Email · Invoice (open)')
    expect(describeMove({ direction: 'out', to: 'v-new', split: true, messageIds: ['a', 'b'], callIds: [] }, labelOf)).toBe('Split 2 messages into a new conversation')
    expect(describeMove({ direction: 'in', from: 'v-email', split: false, messageIds: ['a'], callIds: ['c'] }, labelOf)).toBe('1 message and 1 call moved here from Email · Invoice (open)')
    expect(describeMove({ direction: 'in', from: 'v-email', split: true, messageIds: ['a'], callIds: [] }, labelOf)).toBe('Split off Email · Invoice (open): 1 message')
    expect(describeMove({ undo: true, direction: 'in', from: 'v-new', messageIds: ['a'], callIds: [] }, labelOf)).toBe('Moved back (undone): 1 message')
    expect(describeMove({ undo: true, direction: 'out', to: 'v-email', messageIds: ['a'], callIds: [] }, labelOf)).toBe('Moved back to Email · Invoice (open) (undone)')
  })

  it('names the channels the customer switched between', () => {
    expect(describeSwitch({ from: 'chat', to: 'sms' })).toBe('Switched from chat to SMS')
    expect(describeSwitch({ from: 'email', to: 'whatsapp' })).toBe('Switched from email to WhatsApp')
    expect(describeSwitch({ to: 'voice' })).toMatch(/^Switched to /)
  })
})
