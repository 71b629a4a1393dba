import type { InboundArrived, MentionsArrived, SlaBreachesArrived } from '../../../../shared/ipc'
import { SLA_TARGET_NAMES } from '../../lib/sla'

export interface NotificationText {
  title: string
  body: string
  /** Where a click takes the agent: the conversation when there is just one. */
  open: { customerId: string; conversationId: string } | null
  /** Replaces an earlier notification with the same tag instead of stacking another. */
  tag: string
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`

/**
 * One notification per announcement: a single live message shows who wrote and what; a
 * catch-up (or several at once) becomes one summary, "5 new messages in 3 conversations".
 */
export function describeArrival(arrived: InboundArrived): NotificationText | null {
  const first = arrived.items[0]
  if (!first) return null
  const conversations = new Set(arrived.items.map((i) => i.conversationId))
  if (arrived.items.length === 1 && !arrived.batched) {
    return {
      title: first.customerName,
      body: first.preview,
      open: { customerId: first.customerId, conversationId: first.conversationId },
      tag: `conversation:${first.conversationId}`,
    }
  }
  const names = [...new Set(arrived.items.map((i) => i.customerName))]
  const who = names.length <= 3 ? names.join(', ') : `${names.slice(0, 2).join(', ')} and ${plural(names.length - 2, 'other')}`
  return {
    title: `${plural(arrived.items.length, 'new message')} in ${plural(conversations.size, 'conversation')}`,
    body: `From ${who}`,
    open: conversations.size === 1 ? { customerId: first.customerId, conversationId: first.conversationId } : null,
    tag: 'inbound-summary',
  }
}

/** New notes naming the agent: who wrote and what for one, a count for several. */
export function describeMentions(arrived: MentionsArrived): NotificationText | null {
  const first = arrived.items[0]
  if (!first) return null
  if (arrived.items.length === 1) {
    return {
      title: `${first.authorName} mentioned you · ${first.customerName}`,
      body: first.text,
      open: { customerId: first.customerId, conversationId: first.conversationId },
      tag: `mention:${first.noteId}`,
    }
  }
  const authors = [...new Set(arrived.items.map((i) => i.authorName))]
  return {
    title: `${plural(arrived.items.length, 'new mention')} of you`,
    body: `From ${authors.slice(0, 3).join(', ')}${authors.length > 3 ? ' and others' : ''}`,
    open: null,
    tag: 'mention-summary',
  }
}

/** Targets of the supervisor's team that passed unmet: which customer and which target for one, a count for several. */
export function describeSlaBreaches(arrived: SlaBreachesArrived): NotificationText | null {
  const first = arrived.items[0]
  if (!first) return null
  if (arrived.items.length === 1) {
    return {
      title: `SLA breached: ${first.customerName} — ${SLA_TARGET_NAMES[first.target]}`,
      body: `The ${SLA_TARGET_NAMES[first.target]} target passed unmet.`,
      open: { customerId: first.customerId, conversationId: first.conversationId },
      tag: `sla:${first.eventId}`,
    }
  }
  const names = [...new Set(arrived.items.map((i) => i.customerName))]
  return {
    title: `${plural(arrived.items.length, 'SLA target')} breached`,
    body: `For ${names.slice(0, 3).join(', ')}${names.length > 3 ? ' and others' : ''}`,
    open: null,
    tag: 'sla-summary',
  }
}
