import { describe, expect, it } from 'vitest'
import type { InboundArrived } from '../../../../shared/ipc'
import { describeArrival, describeSlaBreaches } from './summary'

const item = (n: number, conversationId: string, customerName = 'Priya'): InboundArrived['items'][number] => ({
  messageId: `m${n}`,
  conversationId,
  customerId: `cust-${conversationId}`,
  customerName,
  channel: 'sms',
  preview: `hello ${n}`,
})

describe('describeArrival', () => {
  it('shows a single live message as who wrote and what, opening that conversation', () => {
    expect(describeArrival({ items: [item(1, 'v1')], batched: false })).toEqual({
      title: 'Priya',
      body: 'hello 1',
      open: { customerId: 'cust-v1', conversationId: 'v1' },
      tag: 'conversation:v1',
    })
  })

  it('summarizes a catch-up in one notification', () => {
    const text = describeArrival({
      batched: true,
      items: [item(1, 'v1', 'Priya'), item(2, 'v1', 'Priya'), item(3, 'v2', 'Sam'), item(4, 'v3', 'Ola'), item(5, 'v3', 'Ola')],
    })
    expect(text?.title).toBe('5 new messages in 3 conversations')
    expect(text?.body).toBe('From Priya, Sam, Ola')
    expect(text?.open).toBeNull()
  })

  it('says "1 conversation" when a catch-up touched one, and opens it', () => {
    const text = describeArrival({ batched: true, items: [item(1, 'v1'), item(2, 'v1')] })
    expect(text?.title).toBe('2 new messages in 1 conversation')
    expect(text?.open).toEqual({ customerId: 'cust-v1', conversationId: 'v1' })
  })

  it('names at most two senders and counts the rest', () => {
    const text = describeArrival({ batched: true, items: ['A', 'B', 'C', 'D'].map((n, i) => item(i, `v${i}`, n)) })
    expect(text?.body).toBe('From A, B and 2 others')
  })

  it('shows nothing for an empty announcement', () => {
    expect(describeArrival({ items: [], batched: true })).toBeNull()
  })
})

describe('SLA breach notifications', () => {
  const item = (n: number, target: 'first_response' | 'resolution' = 'first_response') => ({
    eventId: `e${n}`,
    conversationId: `v${n}`,
    customerId: `c${n}`,
    customerName: `Customer ${n}`,
    target,
  })

  it('names the customer and the target of one breach, and opens its conversation', () => {
    expect(describeSlaBreaches({ items: [item(1)] })).toMatchObject({
      title: 'SLA breached: Customer 1 — first response',
      open: { customerId: 'c1', conversationId: 'v1' },
    })
  })

  it('counts several', () => {
    expect(describeSlaBreaches({ items: [item(1), item(2, 'resolution')] })).toMatchObject({ title: '2 SLA targets breached', body: 'For Customer 1, Customer 2', open: null })
    expect(describeSlaBreaches({ items: [] })).toBeNull()
  })
})
