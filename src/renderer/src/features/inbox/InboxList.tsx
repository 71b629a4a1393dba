import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useRef, useState, type KeyboardEvent, type MouseEvent, type RefObject } from 'react'
import type { ConversationListItem, InboxSort } from '../../../../shared/ipc'
import { useInbox, useInboxCounts, type InboxFilter } from '../../api/queries'
import { STATUS_LABELS, avatarHue, elapsed, fullTime, initials, relativeTime, useNow } from '../../lib/format'
import { ChannelIcon } from '../../lib/icons'
import { filterTitle } from '../layout/Sidebar'
import { useSavedViewCounts, useSavedViews } from '../views/queries'
import { BulkBar } from './BulkBar'
import { PRIORITY_LABELS } from './priority'
import { slaBadge } from '../../lib/sla'
import { keepListed, NO_SELECTION, toggleRow, type ListSelection } from './selection'
import './inbox-triage.css'

export interface Selection {
  customerId: string
  conversationId: string
  /** An item to bring into view in the timeline (a note that mentions the agent) and when it was written. */
  focus?: { itemId: string; at: number }
}

/** Lets the workspace's keyboard shortcuts move through the list. */
export interface InboxNav {
  move(delta: number): void
  focus(): void
  /** Checks or unchecks the open conversation's row; `range`: every row from the last one checked. */
  check(range: boolean): void
}

/** Fixed row heights: a fixed size keeps 100k rows cheap to lay out and scroll. */
const ROW_HEIGHT = 88
const COMPACT_ROW_HEIGHT = 36

type Density = 'comfortable' | 'compact'
/** This device remembers the agent's choice; it is about their screen, not their account. */
const DENSITY_KEY = 'threadline.inbox.density'

function useDensity(): [Density, (d: Density) => void] {
  const [density, setDensity] = useState<Density>(() => (localStorage.getItem(DENSITY_KEY) === 'compact' ? 'compact' : 'comfortable'))
  return [
    density,
    (next) => {
      localStorage.setItem(DENSITY_KEY, next)
      setDensity(next)
    },
  ]
}
/** Start loading the next page this many rows before the end is reached. */
const PREFETCH_ROWS = 40

const SORT_LABELS: Record<InboxSort, string> = { activity: 'Latest activity', waiting: 'Longest waiting', priority: 'Priority', due: 'Due soonest' }

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
  const [density, setDensity] = useDensity()
  const rowHeight = density === 'compact' ? COMPACT_ROW_HEIGHT : ROW_HEIGHT
  // Checked rows, for one action on all of them; a different list starts with none.
  const filterKey = JSON.stringify(filter)
  const [checked, setChecked] = useState<{ key: string; selection: ListSelection }>({ key: filterKey, selection: NO_SELECTION })
  const order = items.map((c) => c.id)
  const selection = checked.key === filterKey ? keepListed(checked.selection, order) : NO_SELECTION
  const toggle = (id: string, range: boolean) => setChecked({ key: filterKey, selection: toggleRow(selection, order, id, range) })
  const clearChecked = () => setChecked({ key: filterKey, selection: NO_SELECTION })
  const selectedIndex = items.findIndex((c) => c.id === selected?.conversationId)
  const savedViews = useSavedViews()
  const savedViewCounts = useSavedViewCounts()
  const openView = filter.savedView ? savedViews.data?.find((v) => v.id === filter.savedView) : undefined
  const total = filter.savedView
    ? // The view's count covers all its statuses; narrowed by one, the list says what it holds.
      filter.status === null
      ? savedViewCounts.data?.[filter.savedView]
      : undefined
    : filter.team
      ? counts.data?.teams.find((t) => t.team === filter.team)?.count
      : filter.channel
        ? counts.data?.channels.find((c) => c.channel === filter.channel)?.count
        : counts.data?.views[filter.view]

  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => listRef.current,
    estimateSize: () => rowHeight,
    overscan: 10,
  })
  useEffect(() => virtualizer.measure(), [virtualizer, rowHeight])
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
    navRef.current = { move, focus: () => listRef.current?.focus(), check: checkOpen }
  })

  // x checks the open row, as in a mail client; shift-x checks up to it.
  function checkOpen(range: boolean): void {
    const open = items[selectedIndex]
    if (open) toggle(open.id, range)
  }

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
            {filter.savedView ? (openView?.name ?? 'Saved view') : filterTitle(filter)}
          </h1>
          <span className="pane-count" data-testid="inbox-count">
            {filter.status ? STATUS_LABELS[filter.status] : 'Any status'} · {(total ?? items.length).toLocaleString()}
          </span>
        </div>
        <div className="inbox-header-tools">
          <button
            type="button"
            className="button button-small button-quiet density-toggle"
            aria-pressed={density === 'compact'}
            title="One line per conversation"
            onClick={() => setDensity(density === 'compact' ? 'comfortable' : 'compact')}
          >
            Compact
          </button>
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
        </div>
      </header>
      <BulkBar selectedIds={[...selection.ids]} onDone={clearChecked} onClear={clearChecked} />
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
        className={`inbox-list${density === 'compact' ? ' is-compact' : ''}`}
        role="listbox"
        aria-label="Conversations"
        aria-multiselectable={selection.ids.size > 0 || undefined}
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
                compact={density === 'compact'}
                selected={item.id === selected?.conversationId}
                checked={selection.ids.has(item.id)}
                onCheck={(range) => toggle(item.id, range)}
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
  compact,
  selected,
  checked,
  onCheck,
  onSelect,
}: {
  item: ConversationListItem
  index: number
  setSize: number
  top: number
  now: number
  compact: boolean
  selected: boolean
  checked: boolean
  onCheck(range: boolean): void
  onSelect(): void
}) {
  const waiting = item.waitingSince !== null && item.status !== 'resolved'
  const preview = item.subject && item.channel === 'email' ? `${item.subject} — ${item.preview}` : item.preview
  const checkbox = (
    <input
      type="checkbox"
      className="row-check"
      checked={checked}
      aria-label={`Select the conversation with ${item.customerName}`}
      // The row's own click opens the conversation; the box only checks it.
      onClick={(e: MouseEvent<HTMLInputElement>) => {
        e.stopPropagation()
        onCheck(e.shiftKey)
      }}
      onChange={() => undefined}
    />
  )
  const priority = item.priority !== 'normal' && (
    <span className={`pill priority-${item.priority}`} data-testid="row-priority">
      {PRIORITY_LABELS[item.priority]}
    </span>
  )
  const badge = slaBadge(item.sla, item.status, now)
  const sla = badge && (
    <span className={`pill sla-badge sla-${badge.tone}`} title={badge.title} aria-label={badge.title} data-testid="row-sla">
      {badge.text}
    </span>
  )
  const rowProps = {
    id: `conv-${item.id}`,
    role: 'option',
    'aria-selected': selected,
    'aria-posinset': index + 1,
    'aria-setsize': setSize,
    'data-index': index,
    'data-customer-id': item.customerId,
    'data-unread': item.unread,
    className: `inbox-row${compact ? ' is-compact' : ''}${selected ? ' is-selected' : ''}${item.unread ? ' is-unread' : ''}${checked ? ' is-checked' : ''}`,
    style: { transform: `translateY(${top}px)` },
    onClick: onSelect,
  }
  if (compact) {
    return (
      <div {...rowProps}>
        {checkbox}
        <ChannelIcon channel={item.channel} />
        <span className="customer-name">{item.customerName}</span>
        {item.unread && <span className="visually-hidden">, unread</span>}
        <span className="preview-text">{preview}</span>
        {priority}
        {sla}
        <span className={`pill status-${item.status}`}>{STATUS_LABELS[item.status]}</span>
        <time className="row-time" dateTime={new Date(item.lastMessageAt).toISOString()} title={fullTime(item.lastMessageAt)}>
          {relativeTime(item.lastMessageAt, now)}
        </time>
      </div>
    )
  }
  return (
    <div {...rowProps}>
      {checkbox}
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
          <span className="preview-text">{preview}</span>
        </div>
        <div className="inbox-row-meta">
          <span className={`pill status-${item.status}`}>{STATUS_LABELS[item.status]}</span>
          {priority}
          {sla}
          {/* The SLA badge says how urgent the wait is; the row has room for one of them. */}
          {!sla && waiting && item.waitingSince !== null && (
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
