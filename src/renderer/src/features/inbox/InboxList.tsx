import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useRef, type KeyboardEvent, type RefObject } from 'react'
import type { ConversationListItem, InboxSort } from '../../../../shared/ipc'
import { useInbox, useInboxCounts, type InboxFilter } from '../../api/queries'
import { STATUS_LABELS, avatarHue, elapsed, fullTime, initials, relativeTime, useNow } from '../../lib/format'
import { ChannelIcon } from '../../lib/icons'
import { filterTitle } from '../layout/Sidebar'

export interface Selection {
  customerId: string
  conversationId: string
}

/** Lets the workspace's keyboard shortcuts move through the list. */
export interface InboxNav {
  move(delta: number): void
  focus(): void
}

/** Fixed row height: a fixed size keeps 100k rows cheap to lay out and scroll. */
const ROW_HEIGHT = 88
/** Start loading the next page this many rows before the end is reached. */
const PREFETCH_ROWS = 40

const SORT_LABELS: Record<InboxSort, string> = { activity: 'Latest activity', waiting: 'Longest waiting' }

export function InboxList({
  filter,
  selected,
  onSelect,
  onSortChange,
  navRef,
}: {
  filter: InboxFilter
  selected: Selection | null
  onSelect(selection: Selection): void
  onSortChange(sort: InboxSort): void
  navRef?: RefObject<InboxNav | null>
}) {
  const inbox = useInbox(filter)
  const counts = useInboxCounts(filter.status)
  const now = useNow()
  const listRef = useRef<HTMLDivElement>(null)
  const items = inbox.items
  const selectedIndex = items.findIndex((c) => c.id === selected?.conversationId)
  const total = filter.team
    ? counts.data?.teams.find((t) => t.team === filter.team)?.count
    : filter.channel
      ? counts.data?.channels.find((c) => c.channel === filter.channel)?.count
      : counts.data?.views[filter.view]

  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => listRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  })
  const virtualItems = virtualizer.getVirtualItems()
  const lastVisible = virtualItems.at(-1)?.index ?? 0
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = inbox

  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && lastVisible >= items.length - PREFETCH_ROWS) void fetchNextPage()
  }, [hasNextPage, isFetchingNextPage, fetchNextPage, lastVisible, items.length])

  function selectAt(index: number): void {
    const item = items[index]
    if (!item) return
    onSelect({ customerId: item.customerId, conversationId: item.id })
    virtualizer.scrollToIndex(index, { align: 'auto' })
  }

  function move(delta: number): void {
    if (items.length === 0) return
    const from = selectedIndex === -1 ? (delta > 0 ? -1 : items.length) : selectedIndex
    selectAt(Math.max(0, Math.min(items.length - 1, from + delta)))
  }

  useEffect(() => {
    if (!navRef) return
    navRef.current = { move, focus: () => listRef.current?.focus() }
  })

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    if (items.length === 0) return
    let next: number | null = null
    if (event.key === 'ArrowDown') next = selectedIndex + 1
    else if (event.key === 'ArrowUp') next = Math.max(0, selectedIndex - 1)
    else if (event.key === 'Home') next = 0
    else if (event.key === 'End') next = items.length - 1
    else if (event.key === 'PageDown') next = selectedIndex + 10
    else if (event.key === 'PageUp') next = Math.max(0, selectedIndex - 10)
    if (next === null) return
    event.preventDefault()
    selectAt(Math.min(items.length - 1, next))
  }

  return (
    <section className="inbox" aria-labelledby="inbox-title">
      <header className="pane-header">
        <div className="pane-heading">
          <h1 id="inbox-title" className="pane-title">
            {filterTitle(filter)}
          </h1>
          <span className="pane-count" data-testid="inbox-count">
            {filter.status ? STATUS_LABELS[filter.status] : 'Any status'} · {(total ?? items.length).toLocaleString()}
          </span>
        </div>
        <label className="sort-picker">
          <span className="visually-hidden">Sort conversations</span>
          <select value={filter.sort} onChange={(e) => onSortChange(e.target.value as InboxSort)} aria-label="Sort conversations">
            {Object.entries(SORT_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </header>
      {inbox.isError && (
        <p className="inline-error" role="alert">
          Could not load the inbox: {inbox.error.message}
        </p>
      )}
      {inbox.isSuccess && items.length === 0 && (
        <p className="empty">
          {filter.status ? `No ${STATUS_LABELS[filter.status].toLowerCase()} conversations in this view.` : 'No conversations in this view.'}
        </p>
      )}
      <div
        ref={listRef}
        className="inbox-list"
        role="listbox"
        aria-label="Conversations"
        aria-activedescendant={selected && selectedIndex !== -1 ? `conv-${selected.conversationId}` : undefined}
        tabIndex={0}
        onKeyDown={onKeyDown}
      >
        <div className="inbox-list-inner" style={{ height: virtualizer.getTotalSize() }}>
          {virtualItems.map((row) => {
            const item = items[row.index]
            if (!item) return null
            return (
              <InboxRow
                key={item.id}
                item={item}
                index={row.index}
                setSize={total ?? items.length}
                top={row.start}
                now={now}
                selected={item.id === selected?.conversationId}
                onSelect={() => onSelect({ customerId: item.customerId, conversationId: item.id })}
              />
            )
          })}
        </div>
      </div>
    </section>
  )
}

function InboxRow({
  item,
  index,
  setSize,
  top,
  now,
  selected,
  onSelect,
}: {
  item: ConversationListItem
  index: number
  setSize: number
  top: number
  now: number
  selected: boolean
  onSelect(): void
}) {
  const waiting = item.waitingSince !== null && item.status !== 'resolved'
  return (
    <div
      id={`conv-${item.id}`}
      role="option"
      aria-selected={selected}
      aria-posinset={index + 1}
      aria-setsize={setSize}
      data-index={index}
      data-customer-id={item.customerId}
      data-unread={item.unread}
      className={`inbox-row${selected ? ' is-selected' : ''}${item.unread ? ' is-unread' : ''}`}
      style={{ transform: `translateY(${top}px)` }}
      onClick={onSelect}
    >
      <span className="avatar" style={{ ['--hue' as string]: avatarHue(item.customerId) }} aria-hidden="true">
        {initials(item.customerName)}
      </span>
      <div className="inbox-row-body">
        <div className="inbox-row-top">
          <span className="customer-name">{item.customerName}</span>
          {item.unread && <span className="visually-hidden">, unread</span>}
          <time className="row-time" dateTime={new Date(item.lastMessageAt).toISOString()} title={fullTime(item.lastMessageAt)}>
            {relativeTime(item.lastMessageAt, now)}
          </time>
        </div>
        <div className="inbox-row-preview">
          <ChannelIcon channel={item.channel} />
          <span className="preview-text">{item.subject && item.channel === 'email' ? `${item.subject} — ${item.preview}` : item.preview}</span>
        </div>
        <div className="inbox-row-meta">
          <span className={`pill status-${item.status}`}>{STATUS_LABELS[item.status]}</span>
          {waiting && item.waitingSince !== null && (
            <span className="waiting" title={`Waiting since ${fullTime(item.waitingSince)}`}>
              waiting {elapsed(item.waitingSince, now)}
            </span>
          )}
          <span className="assignee">{item.assigneeName ?? 'Unassigned'}</span>
          {item.pending && (
            <span className="pending-badge" title="Actions waiting to reach the server">
              Pending
            </span>
          )}
        </div>
      </div>
    </div>
  )
}
