import type { TimelineEvent } from '../../../../shared/domain'
import { CHANNEL_LABELS } from '../../lib/format'

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`

/** "3 messages", "1 call", "2 messages and 1 call". */
export function itemCount(messages: number, calls: number): string {
  const parts = [messages > 0 ? plural(messages, 'message') : '', calls > 0 ? plural(calls, 'call') : ''].filter(Boolean)
  return parts.join(' and ') || 'nothing'
}

const ids = (value: unknown): number => (Array.isArray(value) ? value.length : 0)

/**
 * The timeline's line for an `items_moved` event. The source conversation's event says where the
 * items went, the target's where they came from; an undo says the items went back.
 */
export function describeMove(data: TimelineEvent['data'], labelOf: (conversationId: string) => string | null): string {
  const count = itemCount(ids(data.messageIds), ids(data.callIds))
  const other = (key: 'to' | 'from') => (typeof data[key] === 'string' ? labelOf(data[key] as string) : null)
  if (data.undo === true) return data.direction === 'in' ? `Moved back (undone): ${count}` : `Moved back to ${other('to') ?? 'the conversation they came from'} (undone)`
  if (data.direction === 'out') {
    return data.split === true ? `Split ${count} into a new conversation` : `Moved ${count} to ${other('to') ?? 'another conversation'}`
  }
  return data.split === true ? `Split off ${other('from') ?? 'another conversation'}: ${count}` : `${count} moved here from ${other('from') ?? 'another conversation'}`
}

/** A channel's name inside a sentence: "chat", "email", but "SMS" and "WhatsApp". */
export function spoken(label: string): string {
  return label === label.toUpperCase() || /[a-z][A-Z]/.test(label) ? label : label.toLowerCase()
}

/** "Switched from chat to SMS": the customer wrote on another channel in this conversation. */
export function describeSwitch(data: TimelineEvent['data']): string {
  const name = (value: unknown) => (typeof value === 'string' && value in CHANNEL_LABELS ? spoken(CHANNEL_LABELS[value as keyof typeof CHANNEL_LABELS]) : null)
  const from = name(data.from)
  const to = name(data.to)
  if (!to) return 'The customer switched channels'
  return from ? `Switched from ${from} to ${to}` : `Switched to ${to}`
}
