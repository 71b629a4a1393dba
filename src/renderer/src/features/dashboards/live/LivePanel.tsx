import { useRef, useState } from 'react'
import { LONGEST_WAITS } from '../../../../../shared/reporting/live-queues'
import { useSyncState, useUsers } from '../../../api/queries'
import { clockTime, fullTime } from '../../../lib/format'
import { Refusal } from '../../admin/parts'
import { useAgentStatuses } from '../../presence/agent-statuses'
import { AgentsTable } from './AgentsTable'
import { ConversationsDialog } from './ConversationsDialog'
import type { ConversationTarget, Drill } from './labels'
import { LongestWaits } from './LongestWaits'
import { useLiveFigure, useLiveQueues, useLiveRefresh, WAITING_NOW } from './queries'
import { QueueTable } from './QueueTable'
import { QueueTiles } from './QueueTiles'
import { useWallboard } from './use-wallboard'

/** The queues as they stand, kept live from the cache: totals, splits, who waits longest, who is at work. */
export function LivePanel({ onOpenConversation }: { onOpenConversation(target: ConversationTarget): void }) {
  useLiveRefresh()
  const queues = useLiveQueues()
  const waiting = useLiveFigure({ ...WAITING_NOW, offset: 0, limit: LONGEST_WAITS })
  const users = useUsers()
  const statuses = useAgentStatuses()
  const [drill, setDrill] = useState<Drill | null>(null)
  const panel = useRef<HTMLDivElement>(null)
  const wallboard = useWallboard(panel)

  return (
    <div ref={panel} className="live-panel" data-wallboard={wallboard.mode === 'off' ? undefined : wallboard.mode}>
      <div className="live-toolbar">
        <SyncedAsOf />
        {wallboard.mode === 'off' ? (
          <button type="button" className="button" onClick={() => void wallboard.enter()}>
            Wallboard
          </button>
        ) : (
          <button type="button" className="button button-quiet live-leave" onClick={wallboard.leave}>
            Leave wallboard <kbd>Esc</kbd>
          </button>
        )}
      </div>
      <Refusal error={queues.error ?? waiting.error} />
      {queues.data && (
        <>
          <QueueTiles totals={queues.data.totals} onDrill={setDrill} />
          <div className="live-grid">
            <div className="live-column">
              <QueueTable dimension="channel" rows={queues.data.byChannel} onDrill={setDrill} />
              <QueueTable dimension="inbox" rows={queues.data.byInbox} onDrill={setDrill} />
              <QueueTable dimension="team" rows={queues.data.byTeam} onDrill={setDrill} />
            </div>
            <div className="live-column">
              <LongestWaits waiting={waiting.data} onOpenConversation={onOpenConversation} />
              <AgentsTable users={users.data} statuses={statuses.data} openAssigned={queues.data.openAssigned} onDrill={setDrill} />
            </div>
          </div>
        </>
      )}
      {drill && <ConversationsDialog drill={drill} onOpenConversation={onOpenConversation} onClose={() => setDrill(null)} />}
    </div>
  )
}

/** While the sync is not online the numbers are the cache's: it says since when. */
function SyncedAsOf() {
  const sync = useSyncState().data
  return (
    <span className="live-as-of" role="status">
      {sync && sync.status !== 'online' && asOf(sync.lastSyncedAt)}
    </span>
  )
}

function asOf(lastSyncedAt: number | null): string {
  if (lastSyncedAt === null) return 'Not synced with the server yet'
  const today = new Date(lastSyncedAt).toDateString() === new Date().toDateString()
  return `As of ${today ? clockTime(lastSyncedAt) : fullTime(lastSyncedAt)}`
}
