import { useState, type KeyboardEvent } from 'react'
import type { Channel, ConversationStatus } from '../../../../shared/domain'
import { CHANNELS, CONVERSATION_STATUSES, SEARCH_TEXT_MAX } from '../../../../shared/domain-values'
import type { IpcArgs, SearchHit, SearchKind } from '../../../../shared/ipc'
import { matchesAsPrefix, PREFIX_MIN_CHARS, typedWords } from '../../../../shared/search-words'
import { useSearch, useSession, useUsers } from '../../api/queries'
import { CHANNEL_LABELS, STATUS_LABELS, avatarHue, fullTime, initials, relativeTime, useNow } from '../../lib/format'
import { ChannelIcon, Icon } from '../../lib/icons'
import type { Selection } from '../inbox/InboxList'
import { Highlighted } from './Highlighted'

export interface SearchFilters {
  kind: SearchKind | 'all'
  channel: Channel | null
  status: ConversationStatus | null
  /** 'me', 'none' (unassigned), an agent id, or null for anyone. */
  assignee: string | null
  from: string
  to: string
}

export const NO_FILTERS: SearchFilters = { kind: 'all', channel: null, status: null, assignee: null, from: '', to: '' }

const KIND_LABELS: Record<SearchKind | 'all', string> = { all: 'Everything', message: 'Messages', note: 'Notes', customer: 'Customers' }

const DAY = 86_400_000

/** The search request for what the agent typed and picked; dates are whole local days. */
export function searchArgs(text: string, filters: SearchFilters, meId: string | null): IpcArgs<'search.query'> {
  const from = filters.from ? new Date(`${filters.from}T00:00`).getTime() : undefined
  const to = filters.to ? new Date(`${filters.to}T00:00`).getTime() + DAY : undefined
  const assigneeId = filters.assignee === 'me' ? meId : filters.assignee === 'none' ? null : filters.assignee
  return {
    // Pasted text longer than a search may be is searched by its start, not refused.
    text: text.trim().slice(0, SEARCH_TEXT_MAX),
    limit: 60,
    ...(filters.kind !== 'all' ? { kinds: [filters.kind] } : {}),
    ...(filters.channel ? { channel: filters.channel } : {}),
    ...(filters.status ? { status: filters.status } : {}),
    ...(filters.assignee !== null && assigneeId !== undefined ? { assigneeId } : {}),
    ...(from !== undefined && !Number.isNaN(from) ? { from } : {}),
    ...(to !== undefined && !Number.isNaN(to) ? { to } : {}),
  }
}

export function SearchPanel({
  text,
  filters,
  onFiltersChange,
  onOpen,
}: {
  text: string
  filters: SearchFilters
  onFiltersChange(filters: SearchFilters): void
  onOpen(selection: Selection): void
}) {
  const session = useSession()
  const users = useUsers()
  const now = useNow()
  const args = searchArgs(text, filters, session.data?.user.id ?? null)
  const search = useSearch(args)
  const hits = search.data ?? []
  const [active, setActive] = useState(0)
  const set = (patch: Partial<SearchFilters>) => onFiltersChange({ ...filters, ...patch })
  const conversationFilter = filters.channel !== null || filters.status !== null || filters.assignee !== null

  function open(hit: SearchHit | undefined): void {
    if (hit?.conversationId) onOpen({ customerId: hit.customerId, conversationId: hit.conversationId })
  }

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>): void {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault()
      const next = Math.max(0, Math.min(hits.length - 1, active + (event.key === 'ArrowDown' ? 1 : -1)))
      setActive(next)
      open(hits[next])
      document.getElementById(`hit-${next}`)?.scrollIntoView({ block: 'nearest' })
    } else if (event.key === 'Enter') {
      open(hits[active])
    }
  }

  return (
    <section className="inbox search-panel" aria-labelledby="search-title">
      <header className="pane-header">
        <div className="pane-heading">
          <h1 id="search-title" className="pane-title">
            Search
          </h1>
          <span className="pane-count" role="status" data-testid="search-count">
            {search.isFetching && !search.data ? 'Searching…' : `${hits.length}${hits.length === 60 ? '+' : ''} result${hits.length === 1 ? '' : 's'}`}
          </span>
        </div>
      </header>
      <div className="search-filters" role="group" aria-label="Search filters">
        <div className="segmented" role="radiogroup" aria-label="What to search">
          {(Object.keys(KIND_LABELS) as (SearchKind | 'all')[]).map((kind) => (
            <button
              key={kind}
              type="button"
              role="radio"
              aria-checked={filters.kind === kind}
              className="segment"
              disabled={kind === 'customer' && conversationFilter}
              onClick={() => set({ kind })}
            >
              {KIND_LABELS[kind]}
            </button>
          ))}
        </div>
        <div className="filter-row">
          <select aria-label="Channel" value={filters.channel ?? ''} onChange={(e) => set({ channel: (e.target.value || null) as Channel | null })}>
            <option value="">Any channel</option>
            {CHANNELS.map((c) => (
              <option key={c} value={c}>
                {CHANNEL_LABELS[c]}
              </option>
            ))}
          </select>
          <select
            aria-label="Status"
            value={filters.status ?? ''}
            onChange={(e) => set({ status: (e.target.value || null) as ConversationStatus | null })}
          >
            <option value="">Any status</option>
            {CONVERSATION_STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABELS[s]}
              </option>
            ))}
          </select>
          <select aria-label="Assignee" value={filters.assignee ?? ''} onChange={(e) => set({ assignee: e.target.value || null })}>
            <option value="">Anyone</option>
            <option value="me">Me</option>
            <option value="none">Unassigned</option>
            {(users.data ?? [])
              .filter((u) => u.id !== session.data?.user.id)
              .map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name}
                </option>
              ))}
          </select>
        </div>
        <div className="filter-row">
          <label className="date-filter">
            <span>From</span>
            <input type="date" aria-label="From date" value={filters.from} onChange={(e) => set({ from: e.target.value })} />
          </label>
          <label className="date-filter">
            <span>To</span>
            <input type="date" aria-label="To date" value={filters.to} onChange={(e) => set({ to: e.target.value })} />
          </label>
          {JSON.stringify(filters) !== JSON.stringify(NO_FILTERS) && (
            <button type="button" className="link-button" onClick={() => onFiltersChange(NO_FILTERS)}>
              Clear filters
            </button>
          )}
        </div>
      </div>
      {search.isError && (
        <p className="inline-error" role="alert">
          {search.error.message}
        </p>
      )}
      {search.isSuccess && hits.length === 0 && (
        <p className="empty">
          Nothing in this device&apos;s cache matches “{text}”.
          {typedWords(text).some((w) => !matchesAsPrefix(w)) && ` Words shorter than ${PREFIX_MIN_CHARS} letters find only that whole word.`}
        </p>
      )}
      <div
        className="search-results"
        role="listbox"
        aria-label="Search results"
        tabIndex={0}
        onKeyDown={onKeyDown}
        aria-activedescendant={hits.length ? `hit-${active}` : undefined}
      >
        {hits.map((hit, index) => (
          <div
            key={`${hit.kind}:${hit.id}`}
            id={`hit-${index}`}
            role="option"
            aria-selected={index === active}
            className={`search-hit${index === active ? ' is-active' : ''}`}
            data-kind={hit.kind}
            onClick={() => {
              setActive(index)
              open(hit)
            }}
          >
            {hit.kind === 'customer' ? (
              <span className="avatar avatar-sm" style={{ ['--hue' as string]: avatarHue(hit.customerId) }} aria-hidden="true">
                {initials(hit.customerName)}
              </span>
            ) : hit.kind === 'note' ? (
              <span className="hit-kind hit-note" title="Internal note">
                <Icon name="note" size={14} />
              </span>
            ) : hit.channel ? (
              <ChannelIcon channel={hit.channel} />
            ) : null}
            <div className="search-hit-body">
              <div className="search-hit-top">
                <span className="search-hit-title">
                  {hit.kind === 'customer' ? <Highlighted parts={hit.title} /> : hit.customerName}
                </span>
                <time className="row-time" dateTime={new Date(hit.at).toISOString()} title={fullTime(hit.at)}>
                  {relativeTime(hit.at, now)}
                </time>
              </div>
              {hit.kind === 'message' && hit.title.length > 0 && (
                <p className="search-hit-subject">
                  <Highlighted parts={hit.title} />
                </p>
              )}
              <p className="search-hit-snippet">
                {hit.kind === 'note' && <span className="hit-label">Note · </span>}
                <Highlighted parts={hit.snippet} />
              </p>
            </div>
          </div>
        ))}
      </div>
    </section>
  )
}
