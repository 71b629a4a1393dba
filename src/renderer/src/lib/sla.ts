import type { ConversationStatus } from '../../../shared/domain'
import type { SlaTarget } from '../../../shared/reporting/events'
import type { ConversationSla } from '../../../shared/reporting/sla'
import { slaHeadline } from '../../../shared/reporting/sla-due'

export const SLA_TARGET_NAMES: Record<SlaTarget, string> = {
  first_response: 'first response',
  next_response: 'next response',
  resolution: 'resolution',
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/**
 * "12 min", "1 h 5 min", "3 h", "1 d 4 h", "3 d": minutes while they matter, short enough for the
 * row; it changes at most once a minute.
 */
export function span(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / MINUTE))
  if (minutes < 60) return `${minutes} min`
  if (ms < DAY) {
    const h = Math.floor(minutes / 60)
    const m = minutes % 60
    return m === 0 || h >= 2 ? `${h} h` : `${h} h ${m} min`
  }
  const d = Math.floor(ms / DAY)
  const h = Math.floor((ms % DAY) / HOUR)
  return h === 0 || d >= 2 ? `${d} d` : `${d} d ${h} h`
}

/** How long ago, coarser than what is left: "5 min", "3 h", "2 d" (whole units passed). */
export function ago(ms: number): string {
  if (ms < HOUR) return `${Math.max(1, Math.floor(ms / MINUTE))} min`
  if (ms < DAY) return `${Math.floor(ms / HOUR)} h`
  return `${Math.floor(ms / DAY)} d`
}

export interface SlaBadge {
  text: string
  /** `breached` when a target passed unmet, `soon` within the last hour, else `ok`; `paused` and `met` show no urgency. */
  tone: 'breached' | 'soon' | 'ok' | 'paused' | 'met'
  /** The whole story, for a tooltip and screen readers. */
  title: string
}

/** What the inbox row says of a conversation's SLA now; null when no policy covers it, or it is resolved with every target met. */
export function slaBadge(sla: ConversationSla | null | undefined, status: ConversationStatus, now: number): SlaBadge | null {
  const headline = slaHeadline(sla)
  if (!headline) return null
  const { target, clock } = headline
  const name = SLA_TARGET_NAMES[target]
  if (clock.state === 'breached') {
    const since = clock.dueAt === null ? '' : ` ${ago(now - clock.dueAt)} ago`
    return { text: `breached${since}`, tone: 'breached', title: `SLA ${name} breached${since}` }
  }
  if (status === 'resolved') return null
  if (clock.state === 'paused') return { text: 'paused', tone: 'paused', title: `SLA ${name} paused while the conversation waits` }
  if (clock.state === 'achieved') return { text: 'met', tone: 'met', title: `SLA ${name} met` }
  if (clock.dueAt === null) return null
  // Past due but not yet marked by the server (it checks every 30 seconds): already late.
  if (clock.dueAt <= now) return { text: `breached ${ago(now - clock.dueAt)} ago`, tone: 'breached', title: `SLA ${name} breached` }
  const left = clock.dueAt - now
  return { text: `due in ${span(left)}`, tone: left <= HOUR ? 'soon' : 'ok', title: `SLA ${name} due in ${span(left)}` }
}
