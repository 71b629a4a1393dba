import type { ViewFilters } from '../../../../shared/domain'
import type { InboxFilter } from '../../api/queries'

/** What the inbox list shows right now, as a saved view's filters: where "Save view…" starts. */
export function filtersOfList(filter: InboxFilter): ViewFilters {
  return {
    ...(filter.status ? { status: [filter.status] } : {}),
    ...(filter.view === 'mine' ? { assignee: 'me' as const } : filter.view === 'unassigned' ? { assignee: 'unassigned' as const } : {}),
    ...(filter.team ? { teams: [filter.team] } : {}),
    ...(filter.channel ? { channels: [filter.channel] } : {}),
  }
}

/** Labels typed as a comma-separated list, each once. */
export function parseList(text: string): string[] {
  return [...new Set(text.split(',').map((l) => l.trim()).filter((l) => l.length > 0))]
}

/** Drops the fields left empty, so a saved view holds only what narrows it. */
export function compactFilters(filters: ViewFilters): ViewFilters {
  const out: ViewFilters = {}
  for (const [key, value] of Object.entries(filters) as [keyof ViewFilters, ViewFilters[keyof ViewFilters]][]) {
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue
    Object.assign(out, { [key]: value })
  }
  return out
}

/** Adds or removes one value of a list filter. */
export function toggled<T>(list: readonly T[] | undefined, value: T, on: boolean): T[] {
  const rest = (list ?? []).filter((v) => v !== value)
  return on ? [...rest, value] : rest
}
