/**
 * One CSV field (RFC 4180), for every CSV Threadline writes (the audit log, report drill-downs).
 * A value a spreadsheet would run as a formula (an inbox or actor named "=HYPERLINK(…)") is
 * prefixed with an apostrophe, so opening the file runs nothing.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return ''
  if (typeof value === 'number') return String(value)
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}
