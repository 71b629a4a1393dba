import { useId } from 'react'
import type { Channel } from '../../../../../shared/domain'
import type { QueueDimension, QueueRow, QueueState } from '../../../../../shared/reporting/live-queues'
import { ChannelIcon } from '../../../lib/icons'
import { QUEUE_STATE_LABELS, queueRowLabel, type Drill } from './labels'
import { FigureButton, WaitedFor } from './parts'

const COLUMNS: QueueState[] = ['open', 'unassigned', 'waiting', 'pending', 'snoozed', 'slaAtRisk', 'slaBreached']
// Short headings keep nine columns within half a wallboard; the buttons' names say it in full.
const COLUMN_HEADINGS: Record<QueueState, string> = { ...QUEUE_STATE_LABELS, waiting: 'Waiting', slaAtRisk: 'At risk', slaBreached: 'Breached' }

const HEADINGS: Record<Exclude<QueueDimension, 'all'>, { title: string; row: string }> = {
  channel: { title: 'By channel', row: 'Channel' },
  inbox: { title: 'By inbox', row: 'Inbox' },
  team: { title: 'By team', row: 'Team' },
}

/** The queues split by one dimension: a row per channel, inbox or team, every count opening its conversations. */
export function QueueTable({ dimension, rows, onDrill }: { dimension: Exclude<QueueDimension, 'all'>; rows: QueueRow[]; onDrill(drill: Drill): void }) {
  const headingId = useId()
  const { title, row: rowHeading } = HEADINGS[dimension]
  return (
    <section className="live-section" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {rows.length === 0 ? (
        <p className="live-empty">Nothing is open.</p>
      ) : (
        <table className="live-table" aria-labelledby={headingId}>
          <thead>
            <tr>
              <th scope="col">{rowHeading}</th>
              {COLUMNS.map((state) => (
                <th key={state} scope="col" className="live-number">
                  {COLUMN_HEADINGS[state]}
                </th>
              ))}
              <th scope="col" className="live-number">
                Longest wait
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ key, counts }) => {
              const name = queueRowLabel(dimension, key)
              return (
                <tr key={key}>
                  <th scope="row">
                    <span className="live-row-name">
                      {dimension === 'channel' && <ChannelIcon channel={key as Channel} />}
                      {name}
                    </span>
                  </th>
                  {COLUMNS.map((state) => (
                    <td key={state} className="live-number">
                      <FigureButton
                        value={counts[state]}
                        name={`${name}: ${counts[state]} ${QUEUE_STATE_LABELS[state].toLowerCase()}`}
                        onOpen={() => onDrill({ title: `${QUEUE_STATE_LABELS[state]} · ${name}`, figure: { dimension, key, state } })}
                      />
                    </td>
                  ))}
                  <td className="live-number">{counts.longestWaitSince === null ? '—' : <WaitedFor since={counts.longestWaitSince} />}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
    </section>
  )
}
