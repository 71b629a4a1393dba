import type { SyncState } from '../../../../shared/ipc'
import { useSyncState } from '../../api/queries'

export function describeSync(state: SyncState | undefined): { tone: string; label: string } {
  if (!state) return { tone: 'connecting', label: 'Connecting…' }
  switch (state.status) {
    case 'online':
      return { tone: 'online', label: 'Up to date' }
    case 'syncing':
      return { tone: 'syncing', label: 'Syncing…' }
    case 'connecting':
      return { tone: 'connecting', label: 'Connecting…' }
    case 'offline':
      return { tone: 'offline', label: 'Offline' }
  }
}

/** Always-visible sync status in the sidebar footer. */
export function SyncIndicator() {
  const { data } = useSyncState()
  const { tone, label } = describeSync(data)
  const pending = data?.pending ?? 0
  return (
    <div className={`sync-indicator sync-${tone}`} role="status" aria-live="polite" data-testid="sync-indicator">
      <span className="sync-dot" aria-hidden="true" />
      <span>{label}</span>
      {pending > 0 && <span className="sync-pending">{pending} pending</span>}
    </div>
  )
}
