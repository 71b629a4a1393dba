import { z } from 'zod'
import { Channel, ConsentPurpose } from '../../shared/domain'

const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time "HH:MM"')

const TimeZone = z.string().refine(isTimeZone, { message: 'must be an IANA time zone, e.g. Europe/Berlin or UTC' })

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

export const FrequencyCap = z.object({
  /** At most this many sends… */
  max: z.number().int().positive(),
  /** …to one customer in this rolling window. */
  windowHours: z.number().positive().max(24 * 366),
  /** The purposes it counts and limits. */
  purposes: z.array(ConsentPurpose).min(1).default(['promotional']),
  /** The channels it counts and limits; absent: all channels together. */
  channels: z.array(Channel).min(1).optional(),
})
export type FrequencyCap = z.output<typeof FrequencyCap>

export const QuietHours = z
  .object({
    /** Local time the quiet period starts; it may run past midnight (21:00–08:00). */
    start: ClockTime,
    end: ClockTime,
    /** Used when the customer has no valid `timezone` attribute. */
    timeZone: TimeZone.default('UTC'),
    purposes: z.array(ConsentPurpose).min(1).default(['promotional']),
  })
  .refine((q) => q.start !== q.end, { message: 'start and end must differ', path: ['end'] })
export type QuietHours = z.output<typeof QuietHours>

/** The `messagingRules` key of the server config: what may be sent to whom, and when. */
export const MessagingRules = z.object({
  /** Refuse promotional sends to customers who never opted in (not only to those who opted out). */
  promotionalRequiresOptIn: z.boolean().default(false),
  frequencyCaps: z.array(FrequencyCap).default([]),
  quietHours: QuietHours.nullable().default(null),
})
export type MessagingRules = z.output<typeof MessagingRules>
export type MessagingRulesInput = z.input<typeof MessagingRules>
