import { useEffect, useState } from 'react'
import type { Priority } from '../../../../shared/domain'
import type { BulkAction } from '../../../../shared/ipc'
import { useSession, useUsers } from '../../api/queries'
import { Icon } from '../../lib/icons'
import { SnoozeDialog } from '../actions/ConversationActions'
import { PRIORITY_CHOICES, PRIORITY_LABELS } from './priority'
import { useBulk, useBulkUndo } from './queries'

/** How long the undo of a bulk step is offered. */
const UNDO_MS = 10_000

interface Done {
  bulkId: string
  text: string
}

function describe(action: BulkAction, count: number, assigneeName: string | null): string {
  const n = `${count} conversation${count === 1 ? '' : 's'}`
  switch (action.kind) {
    case 'assign':
      return action.assigneeId ? `Assigned ${n} to ${assigneeName ?? 'an agent'}` : `Unassigned ${n}`
    case 'setStatus':
      return action.status === 'resolved' ? `Resolved ${n}` : action.status === 'snoozed' ? `Snoozed ${n}` : `Reopened ${n}`
    case 'label':
      return `Labelled ${n} “${action.add.join(', ')}”`
    case 'setPriority':
      return `Set ${n} to ${PRIORITY_LABELS[action.priority].toLowerCase()} priority`
  }
}

/**
 * Actions on the checked conversations of the inbox list: each is one step in the core (one
 * transaction, one undo), offered back for a few seconds afterwards.
 */
export function BulkBar({ selectedIds, onDone, onClear }: { selectedIds: readonly string[]; onDone(): void; onClear(): void }) {
  const bulk = useBulk()
  const undo = useBulkUndo()
  const users = useUsers()
  const me = useSession().data?.user
  const [done, setDone] = useState<Done | null>(null)
  const [snoozing, setSnoozing] = useState(false)
  const [labelling, setLabelling] = useState(false)
  const [label, setLabel] = useState('')

  useEffect(() => {
    if (!done) return
    const timer = setTimeout(() => setDone(null), UNDO_MS)
    return () => clearTimeout(timer)
  }, [done])

  function run(action: BulkAction): void {
    const assigneeName = action.kind === 'assign' && action.assigneeId ? (action.assigneeId === me?.id ? 'me' : (users.data?.find((u) => u.id === action.assigneeId)?.name ?? null)) : null
    const count = selectedIds.length
    bulk.mutate(
      { conversationIds: [...selectedIds], action },
      {
        onSuccess: ({ bulkId }) => {
          setDone({ bulkId, text: describe(action, count, assigneeName) })
          onDone()
        },
      },
    )
  }

  const error = bulk.error ?? undo.error
  return (
    <>
      {selectedIds.length > 0 && (
        <div className="bulk-bar" role="toolbar" aria-label="Actions on the selected conversations">
          <span className="bulk-count" data-testid="bulk-count">
            {selectedIds.length} selected
          </span>
          <button type="button" className="button button-small button-success" onClick={() => run({ kind: 'setStatus', status: 'resolved' })} disabled={bulk.isPending}>
            <Icon name="resolve" size={14} />
            Resolve
          </button>
          <button type="button" className="button button-small" onClick={() => setSnoozing(true)} disabled={bulk.isPending}>
            <Icon name="clock" size={14} />
            Snooze
          </button>
          <select
            className="bulk-select"
            aria-label="Assign the selected conversations"
            value=""
            onChange={(e) => {
              const value = e.target.value
              if (value) run({ kind: 'assign', assigneeId: value === 'none' ? null : value })
            }}
          >
            <option value="">Assign…</option>
            {me && <option value={me.id}>Me ({me.name})</option>}
            {(users.data ?? [])
              .filter((u) => u.id !== me?.id && !u.deactivatedAt)
              .map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name}
                </option>
              ))}
            <option value="none">Unassign</option>
          </select>
          <select
            className="bulk-select"
            aria-label="Set the priority of the selected conversations"
            value=""
            onChange={(e) => {
              if (e.target.value) run({ kind: 'setPriority', priority: e.target.value as Priority })
            }}
          >
            <option value="">Priority…</option>
            {PRIORITY_CHOICES.map((p) => (
              <option key={p} value={p}>
                {PRIORITY_LABELS[p]}
              </option>
            ))}
          </select>
          {labelling ? (
            <form
              className="bulk-label"
              onSubmit={(e) => {
                e.preventDefault()
                const value = label.trim()
                setLabelling(false)
                setLabel('')
                if (value) run({ kind: 'label', add: [value], remove: [] })
              }}
            >
              <input className="label-input" aria-label="Label to add to the selected conversations" autoFocus maxLength={64} value={label} onChange={(e) => setLabel(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && setLabelling(false)} />
            </form>
          ) : (
            <button type="button" className="button button-small" onClick={() => setLabelling(true)} disabled={bulk.isPending}>
              <Icon name="tag" size={14} />
              Label
            </button>
          )}
          <button type="button" className="button button-small button-quiet" onClick={onClear} aria-label="Clear the selection">
            ×
          </button>
        </div>
      )}
      {done && (
        <div className="bulk-done" role="status">
          <span>{done.text}</span>
          <button
            type="button"
            className="link-button"
            disabled={undo.isPending}
            onClick={() => {
              undo.mutate(done.bulkId)
              setDone(null)
            }}
          >
            <Icon name="undo" size={13} />
            Undo
          </button>
        </div>
      )}
      {error && (
        <p className="inline-error" role="alert">
          {error.message}
        </p>
      )}
      {snoozing && <SnoozeDialog onClose={() => setSnoozing(false)} onSnooze={(until) => run({ kind: 'setStatus', status: 'snoozed', snoozedUntil: until })} />}
    </>
  )
}
