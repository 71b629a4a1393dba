/** The heat map's rows in the report's order (weekday 1 is Monday), and its 24 hours. */
export const WEEKDAYS = [
  { short: 'Mon', long: 'Monday' },
  { short: 'Tue', long: 'Tuesday' },
  { short: 'Wed', long: 'Wednesday' },
  { short: 'Thu', long: 'Thursday' },
  { short: 'Fri', long: 'Friday' },
  { short: 'Sat', long: 'Saturday' },
  { short: 'Sun', long: 'Sunday' },
] as const

export const HOURS = Array.from({ length: 24 }, (_, h) => h)

const clock = (hour: number) => `${String(hour).padStart(2, '0')}:00`

/** "14:00–15:00". */
export const hourSpan = (hour: number): string => `${clock(hour)}–${clock((hour + 1) % 24)}`
