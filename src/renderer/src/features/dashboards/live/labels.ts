import type { Channel } from '../../../../../shared/domain'
import type { LiveConversation } from '../../../../../shared/ipc'
import type { LiveFigure, QueueDimension, QueueState } from '../../../../../shared/reporting/live-queues'
import { CHANNEL_LABELS } from '../../../lib/format'

export const QUEUE_STATE_LABELS: Record<QueueState, string> = {
  open: 'Open',
  unassigned: 'Unassigned',
  waiting: 'Waiting now',
  pending: 'Pending',
  snoozed: 'Snoozed',
  slaAtRisk: 'SLA at risk',
  slaBreached: 'SLA breached',
}

/** The name of a row of the queues: a channel, an inbox, or a team ('' is no team). */
export function queueRowLabel(dimension: Exclude<QueueDimension, 'all'>, key: string): string {
  if (dimension === 'channel') return CHANNEL_LABELS[key as Channel] ?? key
  if (dimension === 'team') return key || 'No team'
  return key
}

/** A conversation to open in the workspace, from wherever the dashboards show it. */
export type ConversationTarget = Pick<LiveConversation, 'customerId' | 'conversationId'>

/** A number someone picked: what to call the conversations behind it, and which they are. */
export type Drill = { title: string } & ({ figure: LiveFigure } | { assigneeId: string })
