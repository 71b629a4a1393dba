import type { SlaTarget } from './events'
import type { ConversationSla, SlaClock, SlaClockState } from './sla'

/**
 * Reading a conversation's SLA clocks, apart from sla.ts so that the inbox list can show them
 * without loading the schemas and the business-hours calendar.
 */

export type SlaClockKey = 'firstResponse' | 'nextResponse' | 'resolution'
export const SLA_CLOCKS: readonly { key: SlaClockKey; target: SlaTarget }[] = [
  { key: 'firstResponse', target: 'first_response' },
  { key: 'nextResponse', target: 'next_response' },
  { key: 'resolution', target: 'resolution' },
]

const ofStates = (sla: ConversationSla | null | undefined, states: readonly SlaClockState[]): number | null => {
  if (!sla) return null
  const due = SLA_CLOCKS.flatMap(({ key }) => {
    const clock = sla[key]
    return clock && clock.dueAt !== null && states.includes(clock.state) ? [clock.dueAt] : []
  })
  return due.length === 0 ? null : Math.min(...due)
}

/** The earliest due time of a running clock: when the breach service must next look at the conversation. */
export const slaNextDueAt = (sla: ConversationSla | null | undefined): number | null => ofStates(sla, ['active'])

/** The earliest due time of a target still unmet (breached ones too): what "due soonest" sorts by. */
export const slaUnmetDueAt = (sla: ConversationSla | null | undefined): number | null => ofStates(sla, ['active', 'breached'])

/** The clock shown for a conversation: the breached one, else the one due soonest, else a paused one, else an achieved one. */
export function slaHeadline(sla: ConversationSla | null | undefined): { target: SlaTarget; clock: SlaClock } | null {
  if (!sla) return null
  const all = SLA_CLOCKS.flatMap(({ key, target }) => (sla[key] ? [{ target, clock: sla[key] }] : []))
  const byDue = (a: { clock: SlaClock }, b: { clock: SlaClock }): number => (a.clock.dueAt ?? Infinity) - (b.clock.dueAt ?? Infinity)
  for (const state of ['breached', 'active', 'paused', 'achieved'] as const) {
    const found = all.filter((c) => c.clock.state === state).sort(byDue)[0]
    if (found) return found
  }
  return null
}
