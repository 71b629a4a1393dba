import { useState } from 'react'
import type { HostLinkState } from '../../api/websocket-api'
import { useApi } from '../../api/context'
import { useSyncState } from '../../api/queries'
import { fullTime } from '../../lib/format'
import { Icon } from '../../lib/icons'

const actions = (n: number): string => `${n} action${n === 1 ? '' : 's'}`

/**
 * Shown across the workspace whenever the agent should know their work is not reaching the
 * server yet: offline, catching up, actions refused, or the browser host's link down.
 */
export function SyncBanner({ hostLink }: { hostLink: HostLinkState | null }) {
  const api = useApi()
  const { data } = useSyncState()
  const [retrying, setRetrying] = useState(false)
  let tone: 'warning' | 'error' | 'info' | null = null
  let text = ''
  let detail: string | null = null
  let canRetry = false
  if (hostLink === 'refused') {
    tone = 'error'
    text = 'The Threadline host refused this tab. Open the link printed in the terminal again.'
  } else if (hostLink === 'closed' || hostLink === 'connecting') {
    tone = 'warning'
    text = 'Reconnecting to the Threadline host…'
  } else if (data?.status === 'offline') {
    tone = 'warning'
    canRetry = true
    text =
      data.pending > 0
        ? `Offline — showing what was synced; ${actions(data.pending)} will be sent when the connection returns.`
        : 'Offline — showing what was synced. Search and browsing work; new actions wait for the connection.'
    detail = [data.cacheNotice, data.lastSyncedAt ? `Last synced ${fullTime(data.lastSyncedAt)}.` : null, data.lastError].filter(Boolean).join(' ') || null
  } else if (data && data.failed > 0) {
    tone = 'error'
    text = `${data.failed} action${data.failed === 1 ? ' was' : 's were'} refused by the server. Retry or discard ${data.failed === 1 ? 'it' : 'them'} in the timeline.`
  } else if (data?.status === 'syncing') {
    tone = 'info'
    const parts = [data.pending > 0 ? `sending ${actions(data.pending)}` : null, data.received ? `${data.received.toLocaleString()} updates received` : null]
    text = `Syncing…${parts.some(Boolean) ? ` ${parts.filter(Boolean).join(', ')}` : ''}`
    detail = data.cacheNotice ?? null
  }
  if (!tone) return null
  return (
    <div className={`banner banner-${tone}`} role="status" aria-live="polite" data-testid="sync-banner">
      <Icon name={tone === 'info' ? 'sync' : tone === 'error' ? 'alert' : 'offline'} />
      <span>
        {text}
        {detail && <span className="banner-detail"> {detail}</span>}
      </span>
      {canRetry && (
        <button
          type="button"
          className="button button-small banner-action"
          disabled={retrying}
          onClick={() => {
            setRetrying(true)
            void api.call('sync.retryNow', {}).finally(() => setRetrying(false))
          }}
        >
          <Icon name="sync" size={14} />
          Retry now
        </button>
      )}
    </div>
  )
}
