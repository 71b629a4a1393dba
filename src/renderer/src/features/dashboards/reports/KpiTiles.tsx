import { useId, type ReactNode } from 'react'
import type { ReportFigures } from '../../../../../shared/ipc'
import { SlaTarget } from '../../../../../shared/reporting/events'
import { drillKey, type Durations } from '../../../../../shared/reporting/metrics'
import { SLA_TARGET_NAMES } from '../../../lib/sla'
import { FigureButton, type DrillTarget, type OpenDrill } from './FigureButton'
import type { Hours } from './report-figures'
import { count, humanDuration, percent, plural } from './report-format'

/** One figure with its name, and below it what it is made of. */
function Tile({ title, children, detail }: { title: string; children: ReactNode; detail?: ReactNode }) {
  const titleId = useId()
  return (
    <div className="report-tile" role="group" aria-labelledby={titleId}>
      <h3 id={titleId} className="report-tile-title">
        {title}
      </h3>
      <div className="report-tile-value">{children}</div>
      {detail && <p className="report-tile-detail">{detail}</p>}
    </div>
  )
}

/** A number that opens its conversations, or plain text when there are none to open. */
function Figure({ value, target, onDrill, none }: { value: number; target: DrillTarget; onDrill: OpenDrill; none?: string }) {
  if (value === 0) return <span className="report-figure-none">{none ?? '0'}</span>
  return (
    <FigureButton target={target} onDrill={onDrill}>
      {count(value)}
    </FigureButton>
  )
}

/** A share as a percentage that opens the conversations counted in it; words instead when there was nothing to divide. */
function ShareFigure({ share, part, target, onDrill, none }: { share: number | null; part: number; target: DrillTarget; onDrill: OpenDrill; none: string }) {
  if (share === null) return <span className="report-figure-none">{none}</span>
  if (part === 0) return <span className="report-figure-none">{percent(0)}</span>
  return (
    <FigureButton target={target} onDrill={onDrill}>
      {percent(share)}
    </FigureButton>
  )
}

/** Median and 90th percentile of a duration on the chosen clock, each opening the conversations measured. */
function DurationTile({ title, durations, hours, drill, onDrill, none }: { title: string; durations: Durations; hours: Hours; drill: string; onDrill: OpenDrill; none: string }) {
  const { median, p90 } = durations[hours]
  if (durations.samples === 0 || median === null || p90 === null) {
    return (
      <Tile title={title}>
        <span className="report-figure-none">{none}</span>
      </Tile>
    )
  }
  return (
    <Tile title={title} detail={plural(durations.samples, 'measurement')}>
      <span className="report-duration">
        <span className="report-duration-label">Median</span>
        <FigureButton target={{ key: drill, title: `${title}, median` }} onDrill={onDrill}>
          {humanDuration(median)}
        </FigureButton>
      </span>
      <span className="report-duration">
        <span className="report-duration-label">90th percentile</span>
        <FigureButton target={{ key: drill, title: `${title}, 90th percentile` }} onDrill={onDrill} className="report-figure-secondary">
          {humanDuration(p90)}
        </FigureButton>
      </span>
    </Tile>
  )
}

/** The report's headline figures; every number opens the conversations behind it. */
export function KpiTiles({ report, hours, onDrill }: { report: ReportFigures; hours: Hours; onDrill: OpenDrill }) {
  const { firstContactResolution: fcr, reopens, csat, afterHours, switching } = report
  const resolvedTarget = { key: drillKey.resolved, title: 'Resolved' }
  return (
    <div className="report-tiles">
      <Tile title="Conversations created">
        <Figure value={report.created} target={{ key: drillKey.created, title: 'Conversations created' }} onDrill={onDrill} />
      </Tile>
      <Tile title="Resolved">
        <Figure value={report.resolved} target={resolvedTarget} onDrill={onDrill} />
      </Tile>
      <DurationTile title="First response time" durations={report.firstResponse} drill={drillKey.firstResponse} hours={hours} onDrill={onDrill} none="No first responses" />
      <DurationTile title="Resolution time" durations={report.resolution} drill={drillKey.resolution} hours={hours} onDrill={onDrill} none="Nothing resolved" />
      <Tile
        title="First-contact resolution"
        detail={fcr.resolved > 0 && <>{count(fcr.firstContact)} of {plural(fcr.resolved, 'resolved', 'resolved')}</>}
      >
        <ShareFigure share={fcr.rate} part={fcr.firstContact} target={{ key: drillKey.fcr, title: 'Resolved at first contact' }} onDrill={onDrill} none="Nothing resolved" />
      </Tile>
      <Tile title="Reopen rate" detail={reopens.resolved > 0 && <>{plural(reopens.reopened, 'reopened', 'reopened')} of {count(reopens.resolved)} resolved</>}>
        <ShareFigure share={reopens.rate} part={reopens.reopened} target={{ key: drillKey.reopened, title: 'Reopened' }} onDrill={onDrill} none="Nothing resolved" />
      </Tile>
      <Tile
        title="CSAT"
        detail={
          (csat.answers > 0 || csat.surveys > 0) && (
            <>
              {csat.answers > 0 && (
                <span className="report-tile-detail-line">
                  rated 4–5 of{' '}
                  <FigureButton target={{ key: drillKey.csatAnswers, title: 'CSAT answers' }} onDrill={onDrill} className="report-figure-inline">
                    {plural(csat.answers, 'answer')}
                  </FigureButton>
                </span>
              )}
              {csat.responseRate !== null && (
                <span className="report-tile-detail-line">
                  Response rate{' '}
                  {csat.responded > 0 ? (
                    <FigureButton target={{ key: drillKey.csatResponded, title: 'CSAT surveys answered' }} onDrill={onDrill} className="report-figure-inline">
                      {percent(csat.responseRate)}
                    </FigureButton>
                  ) : (
                    percent(0)
                  )}{' '}
                  ·{' '}
                  <FigureButton target={{ key: drillKey.csatSurveys, title: 'CSAT surveys sent' }} onDrill={onDrill} className="report-figure-inline">
                    {plural(csat.surveys, 'survey')}
                  </FigureButton>
                </span>
              )}
            </>
          )
        }
      >
        <ShareFigure share={csat.share} part={csat.promoters} target={{ key: drillKey.csatPromoters, title: 'CSAT rated 4–5' }} onDrill={onDrill} none="No answers" />
      </Tile>
      <Tile
        title="SLA breaches"
        detail={
          report.sla.breached > 0 &&
          SlaTarget.options.filter((target) => (report.sla.byTarget[target] ?? 0) > 0).map((target) => (
            <span key={target} className="report-tile-detail-line">
              {SLA_TARGET_NAMES[target]}{' '}
              <FigureButton target={{ key: drillKey.slaBreachedTarget(target), title: `SLA breached: ${SLA_TARGET_NAMES[target]}` }} onDrill={onDrill} className="report-figure-inline">
                {count(report.sla.byTarget[target] ?? 0)}
              </FigureButton>
            </span>
          ))
        }
      >
        <Figure value={report.sla.breached} target={{ key: drillKey.slaBreached, title: 'SLA breached' }} onDrill={onDrill} none="None" />
      </Tile>
      <Tile title="After hours" detail={afterHours.created > 0 && <>{count(afterHours.afterHours)} of {count(afterHours.created)} created</>}>
        <ShareFigure
          share={afterHours.share}
          part={afterHours.afterHours}
          target={{ key: drillKey.afterHours, title: 'Created after hours' }}
          onDrill={onDrill}
          none="Nothing created"
        />
      </Tile>
      <Tile
        title="Channel switching"
        detail={switching.customers > 0 && <>{count(switching.switchedCustomers)} of {plural(switching.customers, 'customer')}</>}
      >
        <ShareFigure
          share={switching.rate}
          part={switching.conversations}
          target={{ key: drillKey.switched, title: 'Switched channel' }}
          onDrill={onDrill}
          none="No customers"
        />
      </Tile>
    </div>
  )
}
