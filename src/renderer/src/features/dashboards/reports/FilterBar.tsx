import type { Channel } from '../../../../../shared/domain'
import { CHANNELS } from '../../../../../shared/domain-values'
import type { ReportFilters } from '../../../../../shared/reporting/report-query'
import { useInboxCounts, useUsers } from '../../../api/queries'
import { CHANNEL_LABELS } from '../../../lib/format'
import { FilterMenu, type FilterOption } from './FilterMenu'
import { useInboxNames, useKnownLabels } from './queries'

const CHANNEL_OPTIONS: FilterOption[] = CHANNELS.map((c) => ({ value: c, label: CHANNEL_LABELS[c] }))

const named = (values: Iterable<string>): FilterOption[] => [...values].map((value) => ({ value, label: value }))

/** The report's filters, each a list of values of which any matches; options come from what this device already knows. */
export function FilterBar({ filters, onChange }: { filters: ReportFilters; onChange(next: ReportFilters): void }) {
  const users = useUsers().data ?? []
  const teamsInInbox = useInboxCounts(null).data?.teams.map((t) => t.team) ?? []
  const teams = [...new Set([...teamsInInbox, ...users.flatMap((u) => (u.team ? [u.team] : []))])].sort()
  const inboxes = useInboxNames()
  const labels = useKnownLabels()
  const agents = [...users].sort((a, b) => a.name.localeCompare(b.name)).map((u) => ({ value: u.id, label: u.name }))
  const set = (field: keyof ReportFilters) => (next: string[]) => onChange({ ...filters, [field]: next })

  return (
    <div className="report-filters" role="group" aria-label="Filters">
      <FilterMenu name="Inbox" options={named(inboxes)} chosen={filters.inboxes ?? []} onChange={set('inboxes')} />
      <FilterMenu name="Channel" options={CHANNEL_OPTIONS} chosen={filters.channels ?? []} onChange={(next) => onChange({ ...filters, channels: next as Channel[] })} />
      <FilterMenu name="Team" options={named(teams)} chosen={filters.teams ?? []} onChange={set('teams')} />
      <FilterMenu name="Agent" options={agents} chosen={filters.agents ?? []} onChange={set('agents')} />
      <FilterMenu name="Label" options={named(labels)} chosen={filters.labels ?? []} onChange={set('labels')} typed={{ placeholder: 'Another label' }} />
    </div>
  )
}
