import { useQuery } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import type { ViewFilters } from '../../../../shared/domain'
import { CHANNELS, CONVERSATION_STATUSES } from '../../../../shared/domain-values'
import type { SavedViewItem } from '../../../../shared/ipc'
import { useApi } from '../../api/context'
import { queryKeys, useInboxCounts, useSession, useUsers } from '../../api/queries'
import { Dialog } from '../../lib/Dialog'
import { CHANNEL_LABELS, STATUS_LABELS } from '../../lib/format'
import { PRIORITY_CHOICES, PRIORITY_LABELS } from '../inbox/priority'
import { useSaveView } from './queries'
import { compactFilters, parseList, toggled } from './view-form'
import './views.css'

type ListField = 'status' | 'priorities' | 'channels' | 'inboxes' | 'teams'

/** A row of checkboxes for one list filter; none checked leaves the field free. */
function Choices<T extends string>({
  legend,
  field,
  options,
  label,
  filters,
  onChange,
}: {
  legend: string
  field: ListField
  options: readonly T[]
  label(value: T): string
  filters: ViewFilters
  onChange(next: ViewFilters): void
}) {
  const chosen = (filters[field] ?? []) as readonly string[]
  return (
    <fieldset className="view-choices">
      <legend>{legend}</legend>
      {options.map((value) => (
        <label key={value} className="view-choice">
          <input
            type="checkbox"
            checked={chosen.includes(value)}
            onChange={(e) => onChange({ ...filters, [field]: toggled(chosen, value, e.target.checked) })}
          />
          {label(value)}
        </label>
      ))}
    </fieldset>
  )
}

/**
 * Saves the inbox's filters as a view (`initial` holds what the list shows), or changes one of
 * the agent's views (`view`). The server may still refuse it (sharing with another team): the
 * sidebar then shows its reason on the view.
 */
export function SaveViewDialog({ view, initial, onClose, onSaved }: { view: SavedViewItem | null; initial: ViewFilters; onClose(): void; onSaved(viewId: string): void }) {
  const api = useApi()
  const me = useSession().data?.user ?? null
  const users = useUsers().data ?? []
  const teamsSeen = useInboxCounts(null).data?.teams.map((t) => t.team) ?? []
  const inboxes = useQuery({ queryKey: queryKeys.inboxSettings, queryFn: () => api.call('inbox.settings', {}), staleTime: 60_000 }).data ?? []
  const [name, setName] = useState(view?.name ?? '')
  const shareTeam = view?.team ?? me?.team ?? null
  const [shared, setShared] = useState(view ? view.team !== null : false)
  const [filters, setFilters] = useState<ViewFilters>(view?.filters ?? initial)
  const [labels, setLabels] = useState((view?.filters ?? initial).labels?.join(', ') ?? '')
  const save = useSaveView()
  const teams = [...new Set([...(me?.team ? [me.team] : []), ...teamsSeen, ...(filters.teams ?? [])])].sort()
  const inboxNames = [...new Set([...inboxes.map((i) => i.name), ...(filters.inboxes ?? [])])].sort()

  function submit(event: FormEvent): void {
    event.preventDefault()
    const next = compactFilters({ ...filters, labels: parseList(labels) })
    save.mutate(
      { ...(view ? { viewId: view.id } : {}), name, team: shared ? shareTeam : null, filters: next },
      { onSuccess: ({ viewId }) => onSaved(viewId) },
    )
  }

  return (
    <Dialog title={view ? `Edit view “${view.name}”` : 'Save view'} onClose={onClose} className="view-dialog">
      <form onSubmit={submit}>
        <div className="view-form">
          <label className="view-field">
            <span>Name</span>
            <input value={name} onChange={(e) => setName(e.target.value)} maxLength={80} required placeholder="Urgent and waiting" />
          </label>
          {shareTeam && (
            <label className="view-choice view-share">
              <input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} />
              {shareTeam === me?.team ? 'Share with my team' : `Share with team ${shareTeam}`}
              {shareTeam === me?.team && <span className="view-hint">({shareTeam})</span>}
            </label>
          )}
          <Choices legend="Status" field="status" options={CONVERSATION_STATUSES} label={(s) => STATUS_LABELS[s]} filters={filters} onChange={setFilters} />
          <label className="view-field">
            <span>Assignee</span>
            <select
              value={filters.assignee ?? ''}
              onChange={(e) => {
                const { assignee: _dropped, ...rest } = filters
                setFilters(e.target.value ? { ...rest, assignee: e.target.value } : rest)
              }}
            >
              <option value="">Anyone</option>
              <option value="me">Me (whoever opens the view)</option>
              <option value="unassigned">Unassigned</option>
              {users
                .filter((u) => u.id !== me?.id)
                .map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name}
                  </option>
                ))}
            </select>
          </label>
          <label className="view-field">
            <span>Labels (any of, separated by commas)</span>
            <input value={labels} onChange={(e) => setLabels(e.target.value)} placeholder="refund, vip" />
          </label>
          <Choices legend="Priority" field="priorities" options={PRIORITY_CHOICES} label={(p) => PRIORITY_LABELS[p]} filters={filters} onChange={setFilters} />
          <Choices legend="Channel" field="channels" options={CHANNELS} label={(c) => CHANNEL_LABELS[c]} filters={filters} onChange={setFilters} />
          {inboxNames.length > 0 && <Choices legend="Inbox" field="inboxes" options={inboxNames} label={(i) => i} filters={filters} onChange={setFilters} />}
          {teams.length > 0 && <Choices legend="Team" field="teams" options={teams} label={(t) => t} filters={filters} onChange={setFilters} />}
          <label className="view-field view-waiting">
            <span>Customer waiting longer than</span>
            <span className="view-minutes">
              <input
                type="number"
                min={1}
                step={1}
                value={filters.waitingMinutes ?? ''}
                onChange={(e) => {
                  const minutes = Math.floor(Number(e.target.value))
                  const { waitingMinutes: _dropped, ...rest } = filters
                  setFilters(e.target.value !== '' && minutes > 0 ? { ...rest, waitingMinutes: minutes } : rest)
                }}
                aria-label="Waiting longer than, in minutes"
              />
              minutes
            </span>
          </label>
          {save.error && (
            <p className="inline-error" role="alert">
              {save.error.message}
            </p>
          )}
        </div>
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : view ? 'Save changes' : 'Save view'}
          </button>
        </div>
      </form>
    </Dialog>
  )
}
