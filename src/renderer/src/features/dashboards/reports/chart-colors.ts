import type { Channel } from '../../../../../shared/domain'

/**
 * A color the stylesheet defines, read for a canvas, which cannot take `var(--…)`. Charts thus
 * follow app.css (the channel colors the inbox uses) instead of keeping a palette of their own.
 */
export function cssColor(property: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(property).trim() || fallback
}

export const channelColor = (channel: Channel): string => cssColor(`--ch-${channel}`, '#8a8d98')

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' })

/** A report day ("2026-03-28") as "Sat, 28 Mar": read as UTC, since the date already is the report zone's. */
export function reportDay(day: string): string {
  return dayFormat.format(Date.parse(`${day}T00:00:00Z`))
}
