import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react'
import type { Conversation } from '../../../../shared/domain'
import type { TimelineItem } from '../../../../shared/ipc'
import { useUsers } from '../../api/queries'
import { CHANNEL_LABELS, STATUS_LABELS, dayLabel, useNow } from '../../lib/format'
import { ChannelIcon, Icon } from '../../lib/icons'
import type { JumpToItem } from '../summaries/FactChips'
import { SummaryCard } from '../summaries/SummaryCard'
import { pickerLabels } from './conversation-picker'
import { ItemSelection, NOTHING_PICKED, togglePicked, type PickedItems } from './ItemSelection'
import { TimelineEntry } from './TimelineEntry'
import { timelineRows, type TimelineRow } from './timeline-rows'
import { useTimelinePages } from './use-timeline-pages'
import { useTimelineOpened } from './use-timeline-opened'

/** Pixels from the bottom within which the agent counts as "reading the latest". */
const STICKY_BOTTOM = 120
/** Pixels from the top (or bottom, after a jump) at which the next page starts loading. */
const LOAD_AHEAD = 600

function estimateSize(row: TimelineRow | undefined): number {
  if (!row) return 80
  if (row.type === 'day') return 44
  if (row.type === 'thread') return 34
  if (row.entry.kind === 'event') return 32
  if (row.entry.kind === 'summary') return 120
  if (row.entry.kind === 'message' && row.entry.item.html) return 260
  return 96
}

/** How long an item a summary's chip opened stays marked. */
const CITED_MARK_MS = 2_400

/** The local day `yyyy-mm-dd` names, as the instant its last millisecond ends. */
function endOfDay(value: string): number | null {
  const [y, m, d] = value.split('-').map(Number)
  if (!y || !m || !d) return null
  return new Date(y, m - 1, d + 1).getTime() - 1
}

export function Timeline({
  customerId,
  conversations,
  highlightConversationId,
  onOpenConversation,
  focus = null,
}: {
  customerId: string
  conversations: Conversation[]
  highlightConversationId: string | null
  /** Makes another of the customer's conversations the one on screen (the one a split started, the one this continues). */
  onOpenConversation?: (conversationId: string) => void
  /** Opens the timeline at this item (a mention opened from the Mentions view) instead of at the latest. */
  focus?: { itemId: string; at: number } | null
}) {
  const [until, setUntil] = useState<number | null>(() => (focus ? endOfDay(new Date(focus.at).toLocaleDateString('en-CA')) : null))
  const [selecting, setSelecting] = useState(false)
  const [picked, setPicked] = useState<PickedItems>(NOTHING_PICKED)
  const conversationLabels = useMemo(() => pickerLabels(conversations), [conversations])
  const timeline = useTimelinePages(customerId, until)
  useTimelineOpened(customerId)
  const users = useUsers()
  const now = useNow(60_000)
  const userNames = useMemo(() => new Map((users.data ?? []).map((u) => [u.id, u.name])), [users.data])
  const rows = useMemo(() => timelineRows(timeline.items, conversations), [timeline.items, conversations])
  const scroller = useRef<HTMLDivElement>(null)
  const frame = useRef<HTMLDivElement>(null)
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: (index) => estimateSize(rows[index]),
    getItemKey: (index) => rows[index]?.key ?? index,
    overscan: 8,
    paddingStart: 8,
    paddingEnd: 20,
  })

  const loaded = rows.length > 0
  const { hasNextPage, isFetchingNextPage, fetchNextPage, hasPreviousPage, isFetchingPreviousPage, fetchPreviousPage } = timeline
  // Pinned: the agent reads the latest, so arrivals scroll into view. A jump to a date unpins.
  const pinned = useRef(until === null)
  const anchor = useRef<{ key: string; start: number } | null>(null)
  const lastKey = useRef<string | null>(null)
  const jumpedTo = useRef<number | null>(null)

  // Keeps the rows the agent was reading in place when older rows arrive above them, and
  // follows the newest row while pinned. The anchor is the oldest item shown (not a day or
  // thread header, which move when the older page continues the same day or thread).
  useLayoutEffect(() => {
    const el = scroller.current
    const firstItem = rows.findIndex((r) => r.type === 'item')
    const last = rows.at(-1)?.key ?? null
    if (el && anchor.current && rows[firstItem]?.key !== anchor.current.key) {
      const index = rows.findIndex((r) => r.key === anchor.current?.key)
      const start = virtualizer.measurementsCache[index]?.start
      if (index > 0 && start !== undefined) el.scrollTop += start - anchor.current.start
    }
    if (el && last && last !== lastKey.current && pinned.current) virtualizer.scrollToEnd()
    const first = rows[firstItem]
    anchor.current = first ? { key: first.key, start: virtualizer.measurementsCache[firstItem]?.start ?? 0 } : null
    lastKey.current = last
  }, [rows, virtualizer])

  // After a jump, bring the chosen day to the top once its page is in.
  useLayoutEffect(() => {
    if (until === null || jumpedTo.current === until || rows.length === 0) return
    jumpedTo.current = until
    const dayStart = new Date(until + 1).setDate(new Date(until + 1).getDate() - 1)
    const index = rows.findIndex((r) => r.type === 'item' && r.entry.at >= dayStart)
    // The day divider and thread header above the first item of the day come along.
    if (index >= 0) virtualizer.scrollToIndex(Math.max(0, index - 2), { align: 'start' })
    else virtualizer.scrollToIndex(rows.length - 1, { align: 'end' })
  }, [rows, until, virtualizer])

  // An item opened from elsewhere is brought to the middle once its page is in, after the day's jump.
  const focused = useRef<string | null>(null)
  const focusIndex = focus ? rows.findIndex((r) => r.type === 'item' && r.entry.item.id === focus.itemId) : -1
  useEffect(() => {
    if (!focus || focusIndex < 0 || focused.current === focus.itemId) return
    focused.current = focus.itemId
    requestAnimationFrame(() => virtualizer.scrollToIndex(focusIndex, { align: 'center' }))
  }, [focus, focusIndex, virtualizer])

  // An item a summary's chip cited: brought to the middle and marked, once its page is in.
  const [jumpTarget, setJumpTarget] = useState<{ itemId: string; seq: number } | null>(null)
  const [cited, setCited] = useState<{ itemId: string; seq: number } | null>(null)
  const jumpSeq = useRef(0)
  const jumpIndex = jumpTarget ? rows.findIndex((r) => r.type === 'item' && r.entry.item.id === jumpTarget.itemId) : -1
  const settled = !timeline.isFetching
  useEffect(() => {
    if (!jumpTarget) return
    // Its page is in and it is not there (erased, moved to another customer): nothing to scroll to later.
    if (jumpIndex < 0 && settled) setJumpTarget(null)
    if (jumpIndex < 0) return
    setJumpTarget(null)
    setCited(jumpTarget)
    // After the day's jump (a layout effect) has placed its page.
    requestAnimationFrame(() => virtualizer.scrollToIndex(jumpIndex, { align: 'center' }))
  }, [jumpTarget, jumpIndex, settled, virtualizer])
  useEffect(() => {
    if (!cited) return
    const timer = setTimeout(() => setCited((c) => (c?.seq === cited.seq ? null : c)), CITED_MARK_MS)
    return () => clearTimeout(timer)
  }, [cited])

  // Measured heights differ from the estimates; while pinned, the bottom stays in view.
  const totalSize = virtualizer.getTotalSize()
  useEffect(() => {
    const el = scroller.current
    if (el && pinned.current) el.scrollTop = el.scrollHeight
  }, [totalSize])

  // So does a change of the scroller's own height (the summary card above it opening or closing, the window).
  useEffect(() => {
    const el = scroller.current
    if (!el || typeof ResizeObserver === 'undefined') return
    const observer = new ResizeObserver(() => {
      if (pinned.current) el.scrollTop = el.scrollHeight
    })
    observer.observe(el)
    return () => observer.disconnect()
  }, [])

  useEffect(() => {
    const el = scroller.current
    if (!el) return
    const onScroll = () => {
      const fromBottom = el.scrollHeight - el.scrollTop - el.clientHeight
      if (fromBottom > STICKY_BOTTOM) pinned.current = false
      // Back at the true end re-pins; an empty list while a jump's page loads is not the end.
      else if (loaded && !hasPreviousPage) pinned.current = true
      if (el.scrollTop < LOAD_AHEAD && hasNextPage && !isFetchingNextPage) void fetchNextPage()
      if (fromBottom < LOAD_AHEAD && hasPreviousPage && !isFetchingPreviousPage) void fetchPreviousPage()
    }
    el.addEventListener('scroll', onScroll, { passive: true })
    return () => el.removeEventListener('scroll', onScroll)
  }, [loaded, hasNextPage, isFetchingNextPage, fetchNextPage, hasPreviousPage, isFetchingPreviousPage, fetchPreviousPage])

  function jump(value: string): void {
    const at = endOfDay(value)
    if (at === null) return
    pinned.current = false
    jumpedTo.current = null
    anchor.current = null
    lastKey.current = null
    setUntil(at)
  }

  /**
   * Opens the timeline at an item a summary cites: scrolled to when its page is loaded, else the
   * page ending at its time is loaded first, as a jump to a date does.
   */
  const jumpToItem: JumpToItem = ({ itemId, at }) => {
    pinned.current = false
    const seq = ++jumpSeq.current
    setJumpTarget({ itemId, seq })
    if (rows.some((r) => r.type === 'item' && r.entry.item.id === itemId)) return
    jumpedTo.current = null
    anchor.current = null
    lastKey.current = null
    setUntil(at)
  }

  function backToLatest(): void {
    pinned.current = true
    anchor.current = null
    lastKey.current = null
    setUntil(null)
  }

  const items = virtualizer.getVirtualItems()
  return (
    <div className="timeline-frame" ref={frame}>
      <div className="timeline-toolbar">
        {/* Open, the customer's story takes the row above the tools; collapsed, it shares their row. */}
        <SummaryCard customerId={customerId} timelineReady={!timeline.isPending} onJump={jumpToItem} frame={frame} />
        <label className="jump-to-date">
          <Icon name="clock" size={13} />
          <span>Jump to date</span>
          <input
            type="date"
            aria-label="Jump to date"
            max={new Date(now).toISOString().slice(0, 10)}
            onChange={(e) => jump(e.target.value)}
            value={until === null ? '' : new Date(until).toLocaleDateString('en-CA')}
          />
        </label>
        {until !== null && (
          <button type="button" className="button button-quiet" onClick={backToLatest}>
            Back to latest
          </button>
        )}
        <button
          type="button"
          className="button button-quiet"
          aria-pressed={selecting}
          onClick={() => {
            setSelecting(!selecting)
            setPicked(NOTHING_PICKED)
          }}
          title="Tick messages and calls to split them into a new conversation or move them to another"
        >
          {selecting ? 'Done selecting' : 'Select messages'}
        </button>
        {(isFetchingNextPage || isFetchingPreviousPage) && (
          <span className="timeline-loading" role="status">
            Loading…
          </span>
        )}
      </div>
      <ItemSelection
        customerId={customerId}
        conversations={conversations}
        picked={picked}
        onClear={() => {
          setPicked(NOTHING_PICKED)
          setSelecting(false)
        }}
        onOpenConversation={onOpenConversation}
      />
      <div className={`timeline-scroller${selecting ? ' is-selecting' : ''}`} ref={scroller} data-testid="timeline-scroller">
        {hasNextPage && (
          <div className="load-older">
            <button type="button" className="button button-quiet" onClick={() => void fetchNextPage()} disabled={isFetchingNextPage}>
              {isFetchingNextPage ? 'Loading…' : 'Load earlier activity'}
            </button>
          </div>
        )}
        {timeline.isError && (
          <p className="inline-error" role="alert">
            Could not load the timeline: {timeline.error.message}
          </p>
        )}
        {timeline.isPending && <p className="empty">Loading timeline…</p>}
        <ol className="timeline is-virtual" aria-label="Timeline" data-testid="timeline" style={{ height: totalSize }}>
          {items.map((v) => {
            const row = rows[v.index]
            if (!row) return null
            return renderRow(row, v.index, v.start)
          })}
        </ol>
      </div>
    </div>
  )

  function renderRow(row: TimelineRow, index: number, start: number) {
    const measure = virtualizer.measureElement
    const style = { transform: `translateY(${start}px)` }
    if (row.type === 'day') {
      return (
        <li key={row.key} className="day-divider" aria-hidden="true" data-index={index} ref={measure} style={style}>
          <span>{dayLabel(row.at, now)}</span>
        </li>
      )
    }
    if (row.type === 'thread') {
      return (
        <li key={row.key} className="thread-header" data-row="thread" data-index={index} ref={measure} style={style} data-conversation-id={row.conversationId}>
          <ThreadHeader conversation={row.conversation} labels={conversationLabels} onOpenConversation={onOpenConversation} />
        </li>
      )
    }
    return (
      <TimelineEntry
        key={row.key}
        entry={row.entry}
        customerId={customerId}
        userNames={userNames}
        dimmed={highlightConversationId !== null && row.entry.item.conversationId !== highlightConversationId}
        conversationLabels={conversationLabels}
        pick={pickOf(row.entry)}
        cited={cited?.itemId === row.entry.item.id}
        onJumpToItem={jumpToItem}
        rowProps={{ 'data-index': index, ref: measure, style }}
      />
    )
  }

  /** Messages and calls get a tick box (shown on hover, always while selecting); notes and events stay where they are. */
  function pickOf(entry: TimelineItem): { checked: boolean; onToggle: () => void } | undefined {
    if (entry.kind !== 'message' && entry.kind !== 'call') return undefined
    // An item the server has not taken yet cannot be moved there: it has no row to move.
    if (entry.outbox) return undefined
    const item = { kind: entry.kind, id: entry.item.id, conversationId: entry.item.conversationId }
    const ids = entry.kind === 'message' ? picked.messageIds : picked.callIds
    return {
      checked: picked.conversationId === item.conversationId && ids.includes(item.id),
      onToggle: () => {
        setSelecting(true)
        setPicked((p) => togglePicked(p, item))
      },
    }
  }
}

function ThreadHeader({
  conversation,
  labels,
  onOpenConversation,
}: {
  conversation: Conversation | null
  labels: Map<string, string>
  onOpenConversation: ((conversationId: string) => void) | undefined
}) {
  if (!conversation) return <span className="thread-title">Earlier conversation</span>
  const previous = conversation.previousConversationId
  const what = conversation.channel === 'voice' ? 'Call' : conversation.channel === 'chat' ? 'Chat session' : conversation.channel === 'sms' ? 'SMS' : CHANNEL_LABELS[conversation.channel]
  return (
    <>
      <ChannelIcon channel={conversation.channel} />
      <span className="thread-title">{conversation.subject ?? what}</span>
      <span className="thread-inbox">{conversation.subject ? `${what} · ${conversation.inbox}` : conversation.inbox}</span>
      <span className={`pill status-${conversation.status}`}>{STATUS_LABELS[conversation.status]}</span>
      {previous && (
        <span className="thread-continues" data-testid="thread-continues">
          Continues{' '}
          <button type="button" className="link-button" onClick={() => onOpenConversation?.(previous)} disabled={!onOpenConversation}>
            {labels.get(previous) ?? 'an earlier conversation'}
          </button>
        </span>
      )}
    </>
  )
}
