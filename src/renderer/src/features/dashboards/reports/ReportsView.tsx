import { useMemo, useState } from 'react'
import type { ReportFilters, ReportQuery } from '../../../../../shared/reporting/report-query'
import { useSyncState, useUsers } from '../../../api/queries'
import { fullTime, useNow } from '../../../lib/format'
import { Refusal } from '../../admin/parts'
import { AgentTable } from './AgentTable'
import { ChannelPathsTable } from './ChannelPathsTable'
import { HeatSection, VolumeSection } from './ChartSections'
import { DrillDownDialog } from './DrillDownDialog'
import { FilterBar } from './FilterBar'
import type { DrillTarget } from './FigureButton'
import { HoursToggle } from './HoursToggle'
import { KpiTiles } from './KpiTiles'
import { useReport, useReportLiveUpdates } from './queries'
import { RangePicker } from './RangePicker'
import { hasActivity, type Hours } from './report-figures'
import { DEFAULT_RANGE, rangeOf, reportQuery, viewerTimeZone, type RangeChoice } from './report-range'
import type { ReportsPanelProps } from './ReportsPanel'
import './reports.css'

/** While the cache is not in step with the server, the figures are those of the last sync: say when that was. */
function AsOf({ asOf }: { asOf: number | null }) {
  const sync = useSyncState().data
  if (!sync || sync.status === 'online') return null
  return (
    <p className="report-as-of" role="status">
      {asOf === null ? 'Not synced yet: these figures hold only what this device has.' : `As of ${fullTime(asOf)}, the last sync.`}
    </p>
  )
}

/** The Reports tab: a range and filters, the headline figures, charts and tables; every figure opens its conversations. */
export function ReportsView({ onOpenConversation }: ReportsPanelProps) {
  const [timeZone] = useState(viewerTimeZone)
  // A preset such as "Today" moves on at midnight while the tab stays open.
  const now = useNow(60_000)
  const [choice, setChoice] = useState<RangeChoice>(DEFAULT_RANGE)
  const [filters, setFilters] = useState<ReportFilters>({})
  const [hours, setHours] = useState<Hours>('calendar')
  // The list opened keeps the query it was opened from, even if a preset moves on meanwhile.
  const [drill, setDrill] = useState<{ target: DrillTarget; query: ReportQuery } | null>(null)
  const users = useUsers().data ?? []
  useReportLiveUpdates()

  const range = rangeOf(choice, timeZone, now)
  const valid = 'error' in range ? null : range
  const from = valid?.from ?? null
  const to = valid?.to ?? null
  const query = useMemo(() => (from !== null && to !== null ? reportQuery({ from, to }, timeZone, filters) : null), [from, to, timeZone, filters])
  const result = useReport(query)
  const report = result.data?.report
  const openDrill = (target: DrillTarget) => {
    if (query) setDrill({ target, query })
  }
  const closeDrill = () => setDrill(null)

  return (
    <section className="reports" aria-label="Reports" aria-busy={result.isFetching}>
      <div className="report-controls">
        <RangePicker choice={choice} range={valid} timeZone={timeZone} onChange={setChoice} />
        <FilterBar filters={filters} onChange={setFilters} />
        <HoursToggle hours={hours} onChange={setHours} />
      </div>
      {'error' in range && (
        <p className="inline-error" role="alert">
          {range.error}
        </p>
      )}
      <Refusal error={result.error} />
      {result.data && <AsOf asOf={result.data.asOf} />}
      {report &&
        (hasActivity(report) ? (
          <>
            <KpiTiles report={report} hours={hours} onDrill={openDrill} />
            <div className="report-charts">
              {report.created > 0 ? <VolumeSection volume={report.volume} onDrill={openDrill} /> : <p className="report-empty">No conversations were created in this range.</p>}
              {report.created > 0 && <HeatSection heat={report.heat} onDrill={openDrill} />}
            </div>
            <section className="report-section" aria-label="Agents">
              <h3 className="report-section-title">Agents</h3>
              {report.agents.length > 0 ? <AgentTable agents={report.agents} users={users} hours={hours} onDrill={openDrill} /> : <p className="report-empty">No agent worked on these conversations.</p>}
            </section>
            <section className="report-section" aria-label="Channel paths">
              <h3 className="report-section-title">Commonest channel paths</h3>
              {report.switching.paths.length > 0 ? (
                <ChannelPathsTable paths={report.switching.paths} onDrill={openDrill} />
              ) : (
                <p className="report-empty">No conversation changed channel.</p>
              )}
            </section>
          </>
        ) : (
          <p className="report-empty report-empty-range" role="status">
            Nothing happened in this range{query?.filters ? ' with these filters' : ''}: no conversation was created, answered or resolved.
          </p>
        ))}
      {drill && <DrillDownDialog query={drill.query} target={drill.target} hours={hours} onOpenConversation={onOpenConversation} onClose={closeDrill} />}
    </section>
  )
}
