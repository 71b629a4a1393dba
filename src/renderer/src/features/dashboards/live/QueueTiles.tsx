import type { QueueCounts, QueueState } from '../../../../../shared/reporting/live-queues'
import { QUEUE_STATE_LABELS, type Drill } from './labels'
import { WaitedFor } from './parts'

const TILES: QueueState[] = ['open', 'unassigned', 'waiting', 'pending', 'snoozed', 'slaAtRisk', 'slaBreached']

/** The totals, one big number each; a tile opens the conversations it counts. */
export function QueueTiles({ totals, onDrill }: { totals: QueueCounts; onDrill(drill: Drill): void }) {
  return (
    <ul className="live-tiles" aria-label="Totals">
      {TILES.map((state) => (
        <li key={state}>
          <button
            type="button"
            className={`live-tile live-tile-${state}${totals[state] > 0 ? ' live-tile-busy' : ''}`}
            onClick={() => onDrill({ title: QUEUE_STATE_LABELS[state], figure: { dimension: 'all', key: '', state } })}
          >
            <span className="live-tile-number">{totals[state].toLocaleString()}</span>
            <span className="live-tile-label">{QUEUE_STATE_LABELS[state]}</span>
            {state === 'waiting' && (
              <span className="live-tile-note">
                {totals.longestWaitSince === null ? (
                  'Nobody is waiting'
                ) : (
                  <>
                    Longest <WaitedFor since={totals.longestWaitSince} />
                  </>
                )}
              </span>
            )}
          </button>
        </li>
      ))}
    </ul>
  )
}
