import { lazy, Suspense, useId, type ReactNode } from 'react'
import { CHANNELS } from '../../../../../shared/domain-values'
import type { ReportFigures } from '../../../../../shared/ipc'
import { drillKey } from '../../../../../shared/reporting/metrics'
import { CHANNEL_LABELS } from '../../../lib/format'
import { reportDay } from './chart-colors'
import { FigureButton, type OpenDrill } from './FigureButton'
import { HOURS, hourSpan, WEEKDAYS } from './heat-labels'
import { count } from './report-format'

// The chart libraries load when a report first shows, never with the app's first screen.
const VolumeChart = lazy(() => import('./VolumeChart').then((m) => ({ default: m.VolumeChart })))
const HeatMapChart = lazy(() => import('./HeatMapChart').then((m) => ({ default: m.HeatMapChart })))

/**
 * A chart and, under it, the same numbers as a table: a canvas offers nothing to a keyboard or a
 * screen reader, the table's buttons open the same conversations.
 */
function ChartSection({ title, tableTitle, className, chart, table }: { title: string; tableTitle: string; className: string; chart: ReactNode; table: ReactNode }) {
  const titleId = useId()
  return (
    <section className={`report-chart ${className}`} aria-labelledby={titleId}>
      <h3 id={titleId} className="report-section-title">
        {title}
      </h3>
      <Suspense fallback={<div className="report-chart-loading" aria-busy="true" />}>{chart}</Suspense>
      <details className="report-chart-data">
        <summary>{tableTitle}</summary>
        {table}
      </details>
    </section>
  )
}

function VolumeTable({ volume, onDrill }: { volume: ReportFigures['volume']; onDrill: OpenDrill }) {
  const shown = CHANNELS.filter((c) => volume.some((d) => d.counts[c] > 0))
  return (
    <table className="report-table report-data-table" aria-label="Conversations created per day and channel">
      <thead>
        <tr>
          <th>Day</th>
          {shown.map((c) => (
            <th key={c} className="numeric">
              {CHANNEL_LABELS[c]}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {volume.map((d) => (
          <tr key={d.day}>
            <th scope="row">{reportDay(d.day)}</th>
            {shown.map((c) => (
              <td key={c} className="numeric">
                {d.counts[c] > 0 ? (
                  <FigureButton target={{ key: drillKey.volume(d.day, c), title: `${CHANNEL_LABELS[c]}, ${reportDay(d.day)}` }} onDrill={onDrill} className="report-figure-cell">
                    {count(d.counts[c])}
                  </FigureButton>
                ) : (
                  0
                )}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function VolumeSection({ volume, onDrill }: { volume: ReportFigures['volume']; onDrill: OpenDrill }) {
  const shown = CHANNELS.filter((c) => volume.some((d) => d.counts[c] > 0))
  return (
    <ChartSection
      title="Conversations created per day"
      tableTitle="Per day and channel, as a table"
      className="report-volume"
      chart={
        <>
          <ul className="report-legend" aria-label="Channels">
            {shown.map((c) => (
              <li key={c} className={`channel-${c}`}>
                <span className="report-swatch" aria-hidden="true" />
                {CHANNEL_LABELS[c]}
              </li>
            ))}
          </ul>
          <VolumeChart volume={volume} onDrill={onDrill} />
        </>
      }
      table={<VolumeTable volume={volume} onDrill={onDrill} />}
    />
  )
}

function HeatTable({ heat, onDrill }: { heat: ReportFigures['heat']; onDrill: OpenDrill }) {
  return (
    <table className="report-table report-data-table report-heat-table" aria-label="Conversations created per weekday and hour">
      <thead>
        <tr>
          <th>Day</th>
          {HOURS.map((h) => (
            <th key={h} className="numeric">
              {String(h).padStart(2, '0')}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {heat.map((row) => {
          const day = WEEKDAYS[row.weekday - 1]!
          return (
            <tr key={row.weekday}>
              <th scope="row">{day.short}</th>
              {row.hours.map((n, h) => (
                <td key={h} className="numeric">
                  {n > 0 ? (
                    <FigureButton target={{ key: drillKey.heat(row.weekday, h), title: `${day.long}, ${hourSpan(h)}` }} onDrill={onDrill} className="report-figure-cell">
                      {count(n)}
                    </FigureButton>
                  ) : (
                    ''
                  )}
                </td>
              ))}
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}

export function HeatSection({ heat, onDrill }: { heat: ReportFigures['heat']; onDrill: OpenDrill }) {
  return (
    <ChartSection
      title="Conversations created by weekday and hour"
      tableTitle="By weekday and hour, as a table"
      className="report-heat"
      chart={<HeatMapChart heat={heat} onDrill={onDrill} />}
      table={<HeatTable heat={heat} onDrill={onDrill} />}
    />
  )
}
