import type { Channel } from '../../../../shared/domain'
import { CONVERSATION_STATUSES } from '../../../../shared/domain-values'
import type { InboxView } from '../../../../shared/ipc'
import { useInboxCounts, useSession, type InboxFilter } from '../../api/queries'
import { CHANNEL_LABELS, STATUS_LABELS, initials } from '../../lib/format'
import { ChannelIcon, Icon, type IconName } from '../../lib/icons'
import { useMentions } from '../mentions/queries'
import { AccountMenu } from '../sign-in/AccountMenu'
import { SyncIndicator } from '../sync/SyncIndicator'
import { ViewsSection } from '../views/ViewsSection'

export type { InboxFilter } from '../../api/queries'

const VIEWS: { view: InboxView; label: string; icon: IconName }[] = [
  { view: 'mine', label: 'Assigned to me', icon: 'user' },
  { view: 'unassigned', label: 'Unassigned', icon: 'unassigned' },
  { view: 'all', label: 'All conversations', icon: 'inbox' },
]

/** The title of what the inbox pane currently lists. */
export function filterTitle(filter: InboxFilter): string {
  if (filter.team) return `Team ${filter.team}`
  if (filter.channel) return `${CHANNEL_LABELS[filter.channel]} conversations`
  return VIEWS.find((v) => v.view === filter.view)?.label ?? 'Conversations'
}

function Count({ value }: { value: number | undefined }) {
  if (value === undefined) return null
  return <span className="nav-count">{value.toLocaleString()}</span>
}

export function Sidebar({
  filter,
  onChange,
  onAdminister,
  mentionsOpen,
  onMentions,
  dashboardsOpen,
  onDashboards,
}: {
  filter: InboxFilter
  onChange(filter: InboxFilter): void
  /** The Mentions view is shown instead of a conversation list. */
  mentionsOpen: boolean
  onMentions(): void
  /** Opens the administration screen; only given to admins. */
  onAdminister?: () => void
  /** The dashboards are shown instead of the inbox and the conversation. */
  dashboardsOpen: boolean
  /** Opens the dashboards; only given to supervisors and admins. */
  onDashboards?: () => void
}) {
  const session = useSession()
  const counts = useInboxCounts(filter.status)
  const mentionsUnread = useMentions().data?.unread ?? 0
  const user = session.data?.user
  // Whatever the inbox would list, it is not the page shown while the mentions or the dashboards are.
  const elsewhere = mentionsOpen || dashboardsOpen
  const savedView = elsewhere ? null : (filter.savedView ?? null)
  const scoped = elsewhere || filter.team !== null || filter.channel !== null || savedView !== null
  const pick = (next: Partial<InboxFilter>) => onChange({ ...filter, view: 'all', team: null, channel: null, savedView: null, ...next })
  // A view has its own statuses: it opens on all of them, and the Status list then narrows it.
  const openView = (viewId: string) => pick({ savedView: viewId, status: null })
  const leaveView = () => onChange({ ...filter, savedView: null })

  return (
    <nav className="sidebar" aria-label="Inbox views">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          T
        </span>
        <span className="brand-name">Threadline</span>
      </div>

      <div className="nav-section">
        <h2 className="nav-heading">Inbox</h2>
        <ul className="nav-list">
          {VIEWS.map(({ view, label, icon }) => (
            <li key={view}>
              <button
                type="button"
                className="nav-item"
                aria-current={!scoped && filter.view === view ? 'page' : undefined}
                onClick={() => pick({ view })}
              >
                <Icon name={icon} />
                <span className="nav-label">{label}</span>
                {view === 'mine' && (counts.data?.mineUnread ?? 0) > 0 && (
                  <span className="nav-unread" title="Unread in your conversations">
                    {counts.data?.mineUnread}
                  </span>
                )}
                <Count value={counts.data?.views[view]} />
              </button>
            </li>
          ))}
          <li>
            <button type="button" className="nav-item" aria-current={mentionsOpen && !dashboardsOpen ? 'page' : undefined} onClick={onMentions}>
              <span className="nav-at" aria-hidden="true">
                @
              </span>
              <span className="nav-label">Mentions</span>
              {mentionsUnread > 0 && (
                <span className="nav-unread" title="Unread mentions of you" data-testid="mentions-count">
                  {mentionsUnread.toLocaleString()}
                </span>
              )}
            </button>
          </li>
          {onDashboards && (
            <li>
              <button type="button" className="nav-item" aria-current={dashboardsOpen ? 'page' : undefined} onClick={onDashboards}>
                <Icon name="chart" />
                <span className="nav-label">Dashboards</span>
              </button>
            </li>
          )}
        </ul>
      </div>

      <ViewsSection filter={filter} current={savedView} onOpen={openView} onGone={leaveView} />

      {(counts.data?.teams.length ?? 0) > 0 && (
        <div className="nav-section">
          <h2 className="nav-heading">Teams</h2>
          <ul className="nav-list">
            {counts.data?.teams.map(({ team, count }) => (
              <li key={team}>
                <button
                  type="button"
                  className="nav-item"
                  aria-current={!elsewhere && filter.team === team ? 'page' : undefined}
                  onClick={() => pick({ team })}
                >
                  <span className="team-mark" aria-hidden="true">
                    {initials(team)}
                  </span>
                  <span className="nav-label">{team}</span>
                  <Count value={count} />
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}

      <div className="nav-section">
        <h2 className="nav-heading">Channels</h2>
        <ul className="nav-list">
          {counts.data?.channels.map(({ channel, count }: { channel: Channel; count: number }) => (
            <li key={channel}>
              <button
                type="button"
                className="nav-item"
                aria-current={!elsewhere && filter.channel === channel ? 'page' : undefined}
                onClick={() => pick({ channel })}
              >
                <ChannelIcon channel={channel} />
                <span className="nav-label">{CHANNEL_LABELS[channel]}</span>
                <Count value={count} />
              </button>
            </li>
          ))}
        </ul>
      </div>

      <div className="nav-section">
        <h2 className="nav-heading">Status</h2>
        <ul className="nav-list">
          {[...CONVERSATION_STATUSES, null].map((status) => (
            <li key={status ?? 'any'}>
              <button
                type="button"
                className="nav-item"
                aria-pressed={filter.status === status}
                onClick={() => onChange({ ...filter, status })}
              >
                <span className={`status-dot status-${status ?? 'any'}`} aria-hidden="true" />
                <span className="nav-label">{status ? STATUS_LABELS[status] : 'Any status'}</span>
              </button>
            </li>
          ))}
        </ul>
      </div>

      <div className="sidebar-footer">
        <SyncIndicator />
        {user && <AccountMenu user={user} onAdminister={onAdminister} />}
      </div>
    </nav>
  )
}
