import '../inbox/inbox-triage.css'
import type { Selection } from '../inbox/InboxList'
import { avatarHue, fullTime, initials, relativeTime, useNow } from '../../lib/format'
import { useMarkMentionsRead, useMentions } from './queries'

/** Notes that name the agent, newest first; opening one opens its conversation and reads it. */
export function MentionsPanel({ onOpen }: { onOpen(selection: Selection): void }) {
  const mentions = useMentions()
  const markRead = useMarkMentionsRead()
  const now = useNow()
  const items = mentions.data?.items ?? []
  const unread = mentions.data?.unread ?? 0
  return (
    <section className="inbox mentions" aria-labelledby="mentions-title">
      <header className="pane-header">
        <div className="pane-heading">
          <h1 id="mentions-title" className="pane-title">
            Mentions
          </h1>
          <span className="pane-count" data-testid="mentions-unread">
            {unread > 0 ? `${unread.toLocaleString()} unread` : 'All read'}
          </span>
        </div>
        {unread > 0 && (
          <button type="button" className="button button-small button-quiet" onClick={() => markRead.mutate(undefined)}>
            Mark all read
          </button>
        )}
      </header>
      {mentions.isError && (
        <p className="inline-error" role="alert">
          Could not load your mentions: {mentions.error.message}
        </p>
      )}
      {mentions.isSuccess && items.length === 0 && <p className="empty">Nobody has mentioned you in a note yet.</p>}
      <ul className="mention-list" aria-label="Notes that mention you">
        {items.map((m) => (
          <li key={m.noteId}>
            <button
              type="button"
              className={`mention-item${m.unread ? ' is-unread' : ''}`}
              data-unread={m.unread}
              onClick={() => {
                if (m.unread) markRead.mutate([m.noteId])
                onOpen({ customerId: m.customerId, conversationId: m.conversationId, focus: { itemId: m.noteId, at: m.createdAt } })
              }}
            >
              <span className="avatar avatar-sm" style={{ ['--hue' as string]: avatarHue(m.customerId) }} aria-hidden="true">
                {initials(m.customerName)}
              </span>
              <span className="mention-body">
                <span className="mention-top">
                  <span className="customer-name">{m.customerName}</span>
                  {m.unread && <span className="visually-hidden">, unread</span>}
                  <time className="row-time" dateTime={new Date(m.createdAt).toISOString()} title={fullTime(m.createdAt)}>
                    {relativeTime(m.createdAt, now)}
                  </time>
                </span>
                <span className="mention-text">
                  <strong>{m.authorName}:</strong> {m.text}
                </span>
              </span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  )
}
