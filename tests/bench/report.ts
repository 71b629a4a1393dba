import os from 'node:os'
import type { Summary } from './stats'

/** One line of the results table. */
export interface Row {
  id: string
  scenario: string
  unit: 'ms' | 'msg/s' | 'KB' | 'MB' | '×'
  n: number | null
  median: number | null
  p95: number | null
  p99: number | null
  max: number | null
  target: string
  /** null: no target (a side-by-side figure), or not measurable yet. */
  pass: boolean | null
  note?: string
}

export interface LatencyTarget {
  median?: number
  p95?: number
  p99?: number
  max?: number
}

export function latencyRow(id: string, scenario: string, s: Summary, target: LatencyTarget | null, note?: string): Row {
  const parts: string[] = []
  let pass: boolean | null = target ? true : null
  for (const key of ['median', 'p95', 'p99', 'max'] as const) {
    const limit = target?.[key]
    if (limit === undefined) continue
    parts.push(`${key === 'median' ? 'p50' : key} ≤ ${limit} ms`)
    if (!(s[key] <= limit)) pass = false
  }
  if (s.n === 0) pass = target ? false : null
  return { id, scenario, unit: 'ms', n: s.n, median: s.median, p95: s.p95, p99: s.p99, max: s.max, target: parts.join(', ') || '—', pass, ...(note ? { note } : {}) }
}

export function valueRow(
  id: string,
  scenario: string,
  unit: Row['unit'],
  value: number,
  target: { atLeast?: number; atMost?: number } | null,
  note?: string,
): Row {
  let pass: boolean | null = null
  let text = '—'
  if (target?.atLeast !== undefined) {
    pass = value >= target.atLeast
    text = `≥ ${fmt(target.atLeast, unit)} ${unit}`
  } else if (target?.atMost !== undefined) {
    pass = value <= target.atMost
    text = `≤ ${fmt(target.atMost, unit)} ${unit}`
  }
  return { id, scenario, unit, n: null, median: value, p95: null, p99: null, max: null, target: text, pass, ...(note ? { note } : {}) }
}

export function notBuiltRow(id: string, scenario: string, target: string, note: string): Row {
  return { id, scenario, unit: 'ms', n: null, median: null, p95: null, p99: null, max: null, target, pass: null, note }
}

function fmt(v: number | null, unit: Row['unit']): string {
  if (v === null || Number.isNaN(v)) return '—'
  if (unit === 'msg/s') return Math.round(v).toLocaleString('en')
  if (unit === '×') return v.toFixed(2)
  if (unit === 'MB') return v.toFixed(0)
  return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v).toLocaleString('en')
}

const verdict = (r: Row): string => (r.pass === null ? (r.median === null ? 'not built yet' : 'info') : r.pass ? 'pass' : 'MISS')

export function formatTable(rows: Row[], markdown: boolean): string {
  const header = ['scenario', 'unit', 'median', 'p95', 'p99', 'max', 'target', 'result']
  const lines = rows.map((r) => [r.scenario, r.unit, fmt(r.median, r.unit), fmt(r.p95, r.unit), fmt(r.p99, r.unit), fmt(r.max, r.unit), r.target, verdict(r)])
  if (markdown) {
    return [
      `| ${header.join(' | ')} |`,
      `|${header.map((_, i) => (i === 0 || i === 6 || i === 7 ? '---' : '---:')).join('|')}|`,
      ...lines.map((l) => `| ${l.join(' | ')} |`),
    ].join('\n')
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const pad = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 6 || i === 7 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  return [pad(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(pad)].join('\n')
}

export interface Machine {
  cores: number
  cpuModel: string
  memoryBytes: number
  memory: string
  node: string
  platform: string
}

export function machine(): Machine {
  const cpus = os.cpus()
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  }
}
