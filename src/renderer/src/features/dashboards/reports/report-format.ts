const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/**
 * A duration as a supervisor reads it: "45 s", "12 min", "1 h 12 min", "2 d 3 h". Two units at
 * most, the smaller rounded to the nearest, so a median of 71.9 minutes reads "1 h 12 min".
 */
export function humanDuration(ms: number): string {
  if (ms < MINUTE - SECOND / 2) return `${Math.round(ms / SECOND)} s`
  if (ms < HOUR - MINUTE / 2) return `${Math.round(ms / MINUTE)} min`
  if (ms < DAY - HOUR / 2) {
    const minutes = Math.round(ms / MINUTE)
    const h = Math.floor(minutes / 60)
    const m = minutes % 60
    return m === 0 ? `${h} h` : `${h} h ${m} min`
  }
  const hours = Math.round(ms / HOUR)
  const d = Math.floor(hours / 24)
  const h = hours % 24
  return h === 0 ? `${d} d` : `${d} d ${h} h`
}

const percentFormat = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 0 })
const countFormat = new Intl.NumberFormat()

/** A share from 0 to 1 (a reopen rate may pass 1) as a whole percentage. */
export function percent(share: number): string {
  return percentFormat.format(share)
}

export function count(n: number): string {
  return countFormat.format(n)
}

/** "1 conversation", "3 conversations". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`
}
