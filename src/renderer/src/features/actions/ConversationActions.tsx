import { useEffect, useState } from 'react'
import type { Conversation, Priority, User } from '../../../../shared/domain'
import type { OutboxEntry } from '../../../../shared/ipc'
import { useAssign, useInboxCounts, useLabel, useOutbox, useOutboxAction, useUsers } from '../../api/queries'
import { Dialog } from '../../lib/Dialog'
import { fullTime, initials } from '../../lib/format'
import { Icon } from '../../lib/icons'
import { useListbox } from '../../lib/use-listbox'
import { PRIORITY_CHOICES, PRIORITY_LABELS } from '../inbox/priority'
import { useSetPriority } from '../inbox/queries'

const ACTION_LABELS: Partial<Record<OutboxEntry['name'], string>> = {
  assign: 'Assignment',
  setStatus: 'Status change',
  label: 'Labels',
  setPriority: 'Priority',
  moveItems: 'Move of messages',
  undoMove: 'Undo of a move',
}

/**
 * The conversation's own actions on their way to the server: saving (pending), refused
 * (with retry and discard), and a short "saved" once the server has taken them.
 */
export function ActionState({ conversationId, customerId }: { conversationId: string; customerId: string }) {
  const outbox = useOutbox(conversationId)
  const retry = useOutboxAction('outbox.retry', customerId)
  const discard = useOutboxAction('outbox.discard', customerId)
  const actions = (outbox.data ?? []).filter((e) => e.name in ACTION_LABELS)
  const pending = actions.filter((e) => e.state === 'pending')
  const failed = actions.filter((e) => e.state === 'failed')
  // "Saved" shows for a moment when the last pending action is acknowledged (not refused).
  const [lastPending, setLastPending] = useState(pending.length)
  const [justSaved, setJustSaved] = useState(false)
  if (lastPending !== pending.length) {
    setLastPending(pending.length)
    setJustSaved(pending.length === 0 && lastPending > 0 && failed.length === 0)
  }
  useEffect(() => {
    if (!justSaved) return
    const timer = setTimeout(() => setJustSaved(false), 2500)
    return () => clearTimeout(timer)
  }, [justSaved])

  if (failed.length > 0) {
    const first = failed[0] as OutboxEntry
    return (
      <span className="action-state action-failed" role="alert" data-testid="action-state" data-state="failed">
        <Icon name="alert" size={13} />
        {ACTION_LABELS[first.name]} refused: {first.error ?? 'unknown reason'}
        <button type="button" className="link-button" onClick={() => retry.mutate(first.mutationId)}>
          Retry
        </button>
        <button type="button" className="link-button" onClick={() => discard.mutate(first.mutationId)}>
          Undo
        </button>
      </span>
    )
  }
  if (pending.length > 0) {
    return (
      <span className="action-state action-pending" role="status" data-testid="action-state" data-state="pending" title="Saved on this computer; goes out when the server is reachable">
        <Icon name="clock" size={13} />
        {pending.length === 1 ? 'Saving…' : `Saving ${pending.length} changes…`}
      </span>
    )
  }
  if (justSaved) {
    return (
      <span className="action-state action-sent" role="status" data-testid="action-state" data-state="sent">
        <Icon name="check" size={13} />
        Saved
      </span>
    )
  }
  return null
}

interface AssignOption {
  key: string
  label: string
  detail: string
  assigneeId: string | null
  team?: string | null
}

/** Assign to me, another agent or a team; typing narrows the list, Enter picks. */
export function AssignDialog({
  conversation,
  me,
  onClose,
}: {
  conversation: Conversation
  me: User | undefined
  onClose(): void
}) {
  const users = useUsers()
  const counts = useInboxCounts(null)
  const assign = useAssign(conversation.customerId)
  const [text, setText] = useState('')
  const teams = new Set<string>([...(counts.data?.teams.map((t) => t.team) ?? []), ...(users.data ?? []).flatMap((u) => (u.team ? [u.team] : []))])
  const all: AssignOption[] = [
    ...(me ? [{ key: `u:${me.id}`, label: `${me.name} (me)`, detail: me.team ?? 'Agent', assigneeId: me.id }] : []),
    ...(users.data ?? [])
      .filter((u) => u.id !== me?.id && !u.deactivatedAt)
      .map((u) => ({ key: `u:${u.id}`, label: u.name, detail: `${u.role}${u.team ? ` · ${u.team}` : ''}`, assigneeId: u.id })),
    ...[...teams].sort().map((team) => ({ key: `t:${team}`, label: `Team ${team}`, detail: 'Anyone in the team', assigneeId: null, team })),
    { key: 'none', label: 'Unassign', detail: 'Back to the unassigned queue', assigneeId: null, team: null },
  ]
  const words = text.toLowerCase().split(/\s+/).filter(Boolean)
  const options = all.filter((o) => words.every((w) => `${o.label} ${o.detail}`.toLowerCase().includes(w)))

  function pick(option: AssignOption | undefined): void {
    if (!option) return
    assign.mutate({ conversationId: conversation.id, assigneeId: option.assigneeId, ...(option.team !== undefined ? { team: option.team } : {}) })
    onClose()
  }

  const { current, setActive, inputProps } = useListbox(options, 'assign', pick)

  return (
    <Dialog title="Assign conversation" onClose={onClose} className="picker-dialog">
      <input
        className="picker-input"
        aria-label="Agent or team"
        placeholder="Type a name or team…"
        value={text}
        onChange={(e) => {
          setText(e.target.value)
          setActive(0)
        }}
        {...inputProps}
        data-autofocus
      />
      <div id="assign-options" role="listbox" aria-label="Agents and teams" className="picker-options">
        {options.map((option, index) => {
          const isCurrent =
            option.assigneeId !== null ? option.assigneeId === conversation.assigneeId : option.team !== undefined && option.team === conversation.team && !conversation.assigneeId
          return (
            <div
              key={option.key}
              id={`assign-${index}`}
              role="option"
              aria-selected={index === current}
              className={`picker-option${index === current ? ' is-active' : ''}`}
              onMouseMove={() => setActive(index)}
              onClick={() => pick(option)}
            >
              <span className="avatar avatar-sm" aria-hidden="true">
                {option.key === 'none' ? '–' : initials(option.label.replace(/^Team /, ''))}
              </span>
              <span className="picker-label">
                {option.label}
                <span className="picker-detail">{option.detail}</span>
              </span>
              {isCurrent && <Icon name="check" size={14} title="Current" />}
            </div>
          )
        })}
      </div>
    </Dialog>
  )
}

function at(hours: number, base = new Date()): Date {
  return new Date(base.getTime() + hours * 3_600_000)
}

function nextMorning(daysAhead: number, weekday?: number): Date {
  const d = new Date()
  d.setHours(9, 0, 0, 0)
  if (weekday === undefined) d.setDate(d.getDate() + daysAhead)
  else d.setDate(d.getDate() + (((weekday - d.getDay() + 7) % 7) || 7))
  return d
}

function toLocalInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** Snooze until a time: quick choices, or any moment in the future. */
export function SnoozeDialog({ onSnooze, onClose }: { onSnooze(until: number): void; onClose(): void }) {
  const [custom, setCustom] = useState(toLocalInput(nextMorning(1)))
  const [error, setError] = useState<string | null>(null)
  const quick = [
    { label: 'In 1 hour', until: at(1) },
    { label: 'In 4 hours', until: at(4) },
    { label: 'Tomorrow morning', until: nextMorning(1) },
    { label: 'Next Monday', until: nextMorning(0, 1) },
  ]
  return (
    <Dialog title="Snooze until" onClose={onClose} className="picker-dialog">
      <div className="snooze-options">
        {quick.map((q) => (
          <button
            key={q.label}
            type="button"
            className="picker-option snooze-option"
            onClick={() => {
              onSnooze(q.until.getTime())
              onClose()
            }}
          >
            <span className="picker-label">{q.label}</span>
            <span className="picker-detail">{fullTime(q.until.getTime())}</span>
          </button>
        ))}
      </div>
      <form
        className="snooze-custom"
        onSubmit={(e) => {
          e.preventDefault()
          const until = new Date(custom).getTime()
          if (Number.isNaN(until) || until <= Date.now()) {
            setError('Pick a moment in the future.')
            return
          }
          onSnooze(until)
          onClose()
        }}
      >
        <label>
          <span>Pick a date and time</span>
          <input type="datetime-local" value={custom} onChange={(e) => setCustom(e.target.value)} />
        </label>
        <button type="submit" className="button button-primary">
          Snooze
        </button>
        {error && (
          <p className="composer-error" role="alert">
            {error}
          </p>
        )}
      </form>
    </Dialog>
  )
}

/** The conversation's priority, most urgent first in the list. */
export function PriorityMenu({ conversation }: { conversation: Conversation }) {
  const setPriority = useSetPriority()
  return (
    <label className={`sort-picker priority-menu priority-${conversation.priority}`} title="Priority">
      <Icon name="flag" />
      <span className="visually-hidden">Priority</span>
      <select
        aria-label="Priority"
        value={conversation.priority}
        onChange={(e) => setPriority.mutate({ conversationId: conversation.id, priority: e.target.value as Priority })}
      >
        {PRIORITY_CHOICES.map((p) => (
          <option key={p} value={p}>
            {PRIORITY_LABELS[p]}
          </option>
        ))}
      </select>
    </label>
  )
}

/** The conversation's labels: remove with ×, add by typing and Enter. */
export function LabelEditor({ conversation }: { conversation: Conversation }) {
  const label = useLabel(conversation.customerId)
  const [adding, setAdding] = useState(false)
  const [text, setText] = useState('')
  function add(): void {
    const value = text.trim()
    setText('')
    setAdding(false)
    if (!value || conversation.labels.includes(value)) return
    label.mutate({ conversationId: conversation.id, add: [value] })
  }
  return (
    <ul className="labels" aria-label="Labels">
      {conversation.labels.map((l) => (
        <li key={l} className="label-chip">
          <Icon name="tag" size={12} />
          {l}
          <button type="button" className="chip-remove" aria-label={`Remove label ${l}`} onClick={() => label.mutate({ conversationId: conversation.id, remove: [l] })}>
            ×
          </button>
        </li>
      ))}
      <li>
        {adding ? (
          <input
            className="label-input"
            aria-label="New label"
            autoFocus
            value={text}
            maxLength={64}
            onChange={(e) => setText(e.target.value)}
            onBlur={add}
            onKeyDown={(e) => {
              if (e.key === 'Enter') add()
              if (e.key === 'Escape') {
                setText('')
                setAdding(false)
              }
            }}
          />
        ) : (
          <button type="button" className="label-add" onClick={() => setAdding(true)} aria-label="Add a label" title="Add a label">
            <Icon name="tag" size={12} />
            <span className="button-label">Label</span>
          </button>
        )}
      </li>
    </ul>
  )
}
