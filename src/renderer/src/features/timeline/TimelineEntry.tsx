import { useId, useMemo, useState, type CSSProperties, type KeyboardEvent } from 'react'
import type { Attachment, Call, HtmlOmitted, Message, Note, TimelineEvent } from '../../../../shared/domain'
import type { OutboxState, TimelineItem } from '../../../../shared/ipc'
import { useApi } from '../../api/context'
import { useCallNote, useOutboxAction } from '../../api/queries'
import { CHANNEL_LABELS, DELIVERY_LABELS, STATUS_LABELS, UNVERIFIED_LABELS, clockTime, duration, fullTime } from '../../lib/format'
import { ChannelIcon, Icon, type IconName } from '../../lib/icons'
import type { JumpToItem } from '../summaries/FactChips'
import { SummaryItemCard } from '../summaries/SummaryItemCard'
import { describeCsatAnswer, describeCsatRequest } from './csat-lines'
import { emailDocument } from './email-html'
import { describeMove, describeSwitch } from './moved-items'
import { clipLongText, splitQuoted } from './quoted-text'

interface EntryProps {
  entry: TimelineItem
  customerId: string
  userNames: Map<string, string>
  /** Items of other conversations than the one the composer targets are toned down a little. */
  dimmed: boolean
  /** The picker's label of each of the customer's conversations, for lines that name another one. */
  conversationLabels: Map<string, string>
  /** A message's or call's tick box, to move it to another conversation. */
  pick?: { checked: boolean; onToggle: () => void } | undefined
  /** Opened from a summary's fact: marked for a moment. */
  cited?: boolean
  /** Opens the timeline at an item a wrap-up or call summary cites. */
  onJumpToItem?: JumpToItem
  /** Placement and measuring by the virtualized list. */
  rowProps?: { 'data-index': number; ref: (el: Element | null) => void; style: CSSProperties }
}

export function TimelineEntry({ entry, customerId, userNames, dimmed, conversationLabels, pick, cited = false, onJumpToItem, rowProps }: EntryProps) {
  const common = {
    ...rowProps,
    'data-kind': entry.kind,
    'data-item-id': entry.item.id,
    'data-conversation-id': entry.item.conversationId ?? undefined,
    'data-cited': cited ? 'true' : undefined,
    className:
      [dimmed ? 'is-dimmed' : '', pick ? 'is-pickable' : '', pick?.checked ? 'is-picked' : '', cited ? 'is-cited' : ''].filter(Boolean).join(' ') || undefined,
  }
  const pickBox = pick && (
    <input
      type="checkbox"
      className="item-pick"
      checked={pick.checked}
      onChange={pick.onToggle}
      aria-label={`Select this ${entry.kind === 'call' ? 'call' : 'message'} to move it`}
    />
  )
  switch (entry.kind) {
    case 'message':
      return (
        <li {...common} data-channel={entry.item.channel} data-direction={entry.item.direction} data-delivery={entry.item.deliveryStatus}>
          {pickBox}
          <MessageBubble message={entry.item} outbox={entry.outbox} customerId={customerId} />
        </li>
      )
    case 'note':
      return (
        <li {...common}>
          <NoteCard note={entry.item} outbox={entry.outbox} customerId={customerId} />
        </li>
      )
    case 'call':
      return (
        <li {...common} data-channel="voice" data-direction={entry.item.direction}>
          {pickBox}
          <CallCard call={entry.item} customerId={customerId} userNames={userNames} />
        </li>
      )
    case 'event':
      return (
        <li {...common} data-event-type={entry.item.type}>
          <EventLine event={entry.item} userNames={userNames} conversationLabels={conversationLabels} />
        </li>
      )
    case 'summary':
      return (
        <li {...common} data-summary-kind={entry.item.kind}>
          <SummaryItemCard summary={entry.item} customerId={customerId} onJump={onJumpToItem ?? NO_JUMP} />
        </li>
      )
  }
}

const NO_JUMP: JumpToItem = () => {}

const DELIVERY_ICONS: Partial<Record<Message['deliveryStatus'], IconName>> = {
  queued: 'clock',
  sent: 'check',
  delivered: 'checks',
  read: 'checks',
  failed: 'alert',
}

function DeliveryState({ message, outbox }: { message: Message; outbox: OutboxState | null }) {
  if (message.direction === 'inbound') return null
  // A reply still in the outbox has not even reached the server: say so rather than "queued".
  const label = outbox?.state === 'failed' ? 'Not sent' : outbox ? 'Waiting to sync' : DELIVERY_LABELS[message.deliveryStatus]
  const tone = outbox?.state === 'failed' || message.deliveryStatus === 'failed' ? 'failed' : outbox ? 'queued' : message.deliveryStatus
  const icon = outbox?.state === 'failed' ? 'alert' : outbox ? 'clock' : (DELIVERY_ICONS[message.deliveryStatus] ?? 'check')
  return (
    <span className={`delivery delivery-${tone}`} data-testid="delivery-state" title={message.deliveryError ?? label}>
      <Icon name={icon} size={13} />
      {label}
    </span>
  )
}

function OutboxProblem({ outbox, customerId }: { outbox: OutboxState | null; customerId: string }) {
  const retry = useOutboxAction('outbox.retry', customerId)
  const discard = useOutboxAction('outbox.discard', customerId)
  if (outbox?.state !== 'failed') return null
  return (
    <div className="outbox-problem" role="alert">
      <span>The server refused this: {outbox.error ?? 'unknown reason'}</span>
      <button type="button" className="link-button" onClick={() => retry.mutate(outbox.mutationId)}>
        Retry
      </button>
      <button type="button" className="link-button" onClick={() => discard.mutate(outbox.mutationId)}>
        Discard
      </button>
    </div>
  )
}

function MessageBubble({ message, outbox, customerId }: { message: Message; outbox: OutboxState | null; customerId: string }) {
  const outbound = message.direction === 'outbound'
  return (
    <article className={`message ${outbound ? 'message-out' : 'message-in'} channel-tint-${message.channel}`}>
      <header className="message-meta">
        <ChannelIcon channel={message.channel} />
        <span className="channel-name">{CHANNEL_LABELS[message.channel]}</span>
        <Icon name={outbound ? 'arrowOut' : 'arrowIn'} size={12} title={outbound ? 'Outbound' : 'Inbound'} />
        <span className="author">{message.authorName}</span>
        <time dateTime={new Date(message.sentAt).toISOString()} title={fullTime(message.sentAt)}>
          {clockTime(message.sentAt)}
        </time>
        <DeliveryState message={message} outbox={outbox} />
        {message.unverifiedSender && (
          <span className="unverified-badge" title={UNVERIFIED_LABELS[message.unverifiedSender]} data-testid="sender-unverified">
            Unverified sender
          </span>
        )}
      </header>
      <div className="message-body">
        {message.subject && message.channel === 'email' && <p className="message-subject">{message.subject}</p>}
        {message.html ? <EmailBody message={message} html={message.html} /> : <FoldedText text={message.text} />}
        {message.htmlOmitted && (
          <p className="html-omitted" data-testid="html-omitted">
            {HTML_OMITTED[message.htmlOmitted]} Showing its text only.
          </p>
        )}
        {message.attachments.length > 0 && <Attachments attachments={message.attachments} />}
      </div>
      <OutboxProblem outbox={outbox} customerId={customerId} />
    </article>
  )
}

function NoteCard({ note, outbox, customerId }: { note: Note; outbox: OutboxState | null; customerId: string }) {
  return (
    <article className="note" aria-label={`Internal note by ${note.authorName}`}>
      <header className="message-meta">
        <Icon name="note" size={14} />
        <span className="note-label">Internal note</span>
        <span className="author">{note.authorName}</span>
        <time dateTime={new Date(note.createdAt).toISOString()} title={fullTime(note.createdAt)}>
          {clockTime(note.createdAt)}
        </time>
        {outbox && <span className={`delivery delivery-${outbox.state === 'failed' ? 'failed' : 'queued'}`}>{outbox.state === 'failed' ? 'Not saved' : 'Waiting to sync'}</span>}
      </header>
      <p className="message-text">{note.text}</p>
      <OutboxProblem outbox={outbox} customerId={customerId} />
    </article>
  )
}

/** Plain text with quoted history and the signature behind a "…" toggle. */
function FoldedText({ text }: { text: string }) {
  const [open, setOpen] = useState(false)
  const [whole, setWhole] = useState(false)
  const { body, folded } = useMemo(() => splitQuoted(text), [text])
  const long = useMemo(() => clipLongText(body), [body])
  return (
    <>
      {long && !whole ? (
        <>
          <p className="message-text">{long.start}…</p>
          <button type="button" className="link-button" onClick={() => setWhole(true)}>
            Show more ({long.hiddenChars.toLocaleString()} more characters)
          </button>
        </>
      ) : (
        <p className="message-text">{body}</p>
      )}
      {folded !== null && (
        <>
          <button type="button" className="fold-toggle" aria-expanded={open} onClick={() => setOpen(!open)} title={open ? 'Hide quoted text' : 'Show quoted text'}>
            <span aria-hidden="true">…</span>
            <span className="visually-hidden">{open ? 'Hide quoted text' : 'Show quoted text'}</span>
          </button>
          {open && <p className="message-text message-folded">{folded}</p>}
        </>
      )}
    </>
  )
}

const HTML_OMITTED: Record<HtmlOmitted, string> = {
  too_large: 'The original formatting was too large to display.',
  too_complex: 'The original formatting was too complex to display safely.',
}

/**
 * The sanitized HTML in a frame with no scripts, no same origin and no forms (`sandbox=""`),
 * remote images replaced until the agent allows them for this message.
 */
function EmailBody({ message, html }: { message: Message; html: string }) {
  const [allowRemote, setAllowRemote] = useState(false)
  const [showFolded, setShowFolded] = useState(false)
  const doc = useMemo(() => emailDocument(html, { allowRemote, showFolded }), [html, allowRemote, showFolded])
  const height = Math.min(480, Math.max(72, 24 + doc.lines * 20))
  return (
    <div className="email-body">
      <iframe
        className="email-frame"
        title={`Email: ${message.subject ?? 'message'} from ${message.authorName}`}
        sandbox=""
        srcDoc={doc.srcdoc}
        referrerPolicy="no-referrer"
        loading="lazy"
        style={{ height }}
      />
      <div className="email-actions">
        {doc.hasFolded && (
          <button type="button" className="fold-toggle" aria-expanded={showFolded} onClick={() => setShowFolded(!showFolded)} title={showFolded ? 'Hide quoted text' : 'Show quoted text'}>
            <span aria-hidden="true">…</span>
            <span className="visually-hidden">{showFolded ? 'Hide quoted text' : 'Show quoted text'}</span>
          </button>
        )}
        {doc.blockedImages > 0 && !allowRemote && (
          <span className="remote-blocked" data-testid="remote-images-blocked">
            {doc.blockedImages === 1 ? '1 remote image blocked' : `${doc.blockedImages} remote images blocked`}
            <button type="button" className="link-button" onClick={() => setAllowRemote(true)}>
              Show remote images
            </button>
          </span>
        )}
      </div>
    </div>
  )
}

function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

function Attachments({ attachments }: { attachments: Attachment[] }) {
  return (
    <ul className="attachments" aria-label="Attachments">
      {attachments.map((a, i) => (
        <li key={i} className="attachment">
          <Icon name="paperclip" size={12} />
          {a.url ? (
            <AttachmentLink attachment={a} url={a.url} />
          ) : (
            <span className="attachment-name">{a.name}</span>
          )}
          <span className="attachment-size">{fileSize(a.size)}</span>
          {!a.url && a.note && <span className="attachment-note">{a.note}</span>}
        </li>
      ))}
    </ul>
  )
}

/**
 * The attachment route needs the agent's token, which only the core holds: the core fetches
 * the file and the browser saves it from a blob URL.
 */
function AttachmentLink({ attachment, url }: { attachment: Attachment; url: string }) {
  const api = useApi()
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null })
  async function download(): Promise<void> {
    setState({ busy: true, error: null })
    try {
      const file = await api.call('attachment.download', { url })
      const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0))
      const href = URL.createObjectURL(new Blob([bytes], { type: file.contentType }))
      const link = document.createElement('a')
      link.href = href
      link.download = file.name || attachment.name
      link.click()
      setTimeout(() => URL.revokeObjectURL(href), 10_000)
      setState({ busy: false, error: null })
    } catch (err) {
      setState({ busy: false, error: err instanceof Error ? err.message : String(err) })
    }
  }
  return (
    <>
      <button type="button" className="link-button attachment-name" onClick={() => void download()} disabled={state.busy} title={`Download ${attachment.name}`}>
        {attachment.name}
      </button>
      {state.error && (
        <span className="attachment-note" role="alert">
          {state.error}
        </span>
      )}
    </>
  )
}

const OUTCOME_LABELS = { answered: 'Answered', missed: 'Missed', voicemail: 'Voicemail', failed: 'Failed' } as const

function CallCard({ call, customerId, userNames }: { call: Call; customerId: string; userNames: Map<string, string> }) {
  const inbound = call.direction === 'inbound'
  const outcome = call.outcome ? OUTCOME_LABELS[call.outcome] : call.status === 'completed' ? 'Ended' : 'In progress'
  const agent = call.agentId ? userNames.get(call.agentId) : undefined
  return (
    <article className={`call call-${call.outcome ?? call.status}`}>
      <span className="call-icon" aria-hidden="true">
        <Icon name="voice" size={16} />
      </span>
      <div className="call-body">
        <header className="call-title">
          <span>{inbound ? 'Inbound call' : 'Outbound call'}</span>
          <span className="call-outcome">{outcome}</span>
          {call.durationSeconds !== null && <span className="call-duration">{duration(call.durationSeconds)}</span>}
          {agent && <span className="author">with {agent}</span>}
          <time dateTime={new Date(call.startedAt).toISOString()} title={fullTime(call.startedAt)}>
            {clockTime(call.startedAt)}
          </time>
        </header>
        <CallNotes call={call} customerId={customerId} />
        {call.transcript && (
          <details className="call-transcript">
            <summary>Transcript</summary>
            <p>{call.transcript}</p>
          </details>
        )}
      </div>
    </article>
  )
}

/** The agent's notes on a call: shown, and added or edited in place. */
function CallNotes({ call, customerId }: { call: Call; customerId: string }) {
  const save = useCallNote(customerId)
  const [draft, setDraft] = useState<string | null>(null)
  const fieldId = useId()
  const what = call.direction === 'inbound' ? 'inbound call' : 'outbound call'
  const at = clockTime(call.startedAt)

  function submit(): void {
    if (draft === null) return
    save.mutate({ callId: call.id, notes: draft }, { onSuccess: () => setDraft(null) })
  }
  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>): void {
    // Escape would otherwise reach the workspace's shortcuts (closing panels) and lose the edit silently.
    if (event.key === 'Escape') {
      event.stopPropagation()
      setDraft(null)
    } else if (event.key === 'Enter' && (event.metaKey || event.ctrlKey)) {
      event.preventDefault()
      submit()
    }
  }

  if (draft === null) {
    return (
      <>
        {call.notes && (
          <p className="call-notes" data-testid="call-notes">
            {call.notes}
          </p>
        )}
        <button type="button" className="link-button call-notes-edit" onClick={() => setDraft(call.notes ?? '')} aria-label={`${call.notes ? 'Edit' : 'Add'} notes on the ${what} at ${at}`}>
          {call.notes ? 'Edit notes' : 'Add notes'}
        </button>
      </>
    )
  }
  return (
    <form
      className="call-notes-editor"
      aria-label={`Notes on the ${what} at ${at}`}
      onSubmit={(e) => {
        e.preventDefault()
        submit()
      }}
    >
      <label htmlFor={fieldId} className="visually-hidden">
        Notes on this call
      </label>
      <textarea id={fieldId} value={draft} onChange={(e) => setDraft(e.target.value)} onKeyDown={onKeyDown} rows={3} maxLength={100_000} autoFocus />
      {save.isError && (
        <p className="inline-error" role="alert">
          Could not save the notes: {save.error.message}
        </p>
      )}
      <div className="call-notes-actions">
        <button type="submit" className="button button-primary" disabled={save.isPending}>
          Save
        </button>
        <button type="button" className="button" onClick={() => setDraft(null)} disabled={save.isPending}>
          Cancel
        </button>
      </div>
    </form>
  )
}

function describeEvent(event: TimelineEvent, userNames: Map<string, string>, conversationLabels: Map<string, string>): string {
  const data = event.data
  const text = (key: string) => (typeof data[key] === 'string' ? (data[key] as string) : null)
  // Not an agent: an integration or connector names itself in the event (e.g. "Zapier").
  const actor = event.actorId ? (userNames.get(event.actorId) ?? 'An agent') : (text('actorName') ?? 'Threadline')
  switch (event.type) {
    case 'assigned': {
      const assigneeId = text('assigneeId') ?? text('to')
      const name = text('assigneeName') ?? (assigneeId ? (userNames.get(assigneeId) ?? 'an agent') : null)
      if (!name) return `${actor} unassigned the conversation`
      return assigneeId && assigneeId === event.actorId ? `${actor} took the conversation` : `${actor} assigned the conversation to ${name}`
    }
    case 'status_changed': {
      const status = text('status') ?? text('to')
      const label = status && status in STATUS_LABELS ? STATUS_LABELS[status as keyof typeof STATUS_LABELS].toLowerCase() : status
      if (status === 'resolved') return `${actor} resolved the conversation`
      if (status === 'open' && !event.actorId) return 'Reopened by a new message from the customer'
      return `${actor} set the conversation to ${label ?? 'a new status'}`
    }
    case 'labels_changed': {
      const list = (key: string) => (Array.isArray(data[key]) ? (data[key] as unknown[]).map(String) : [])
      const added = list('added')
      const removed = list('removed')
      const parts = [added.length ? `added ${added.join(', ')}` : '', removed.length ? `removed ${removed.join(', ')}` : '']
      const said = parts.filter(Boolean).join(' and ')
      return said ? `${actor} ${said}` : `${actor} changed the labels`
    }
    case 'customer_merged': {
      const source = text('sourceName')
      const target = text('targetName')
      const what = source && target ? `merged ${source} into ${target}` : 'merged another customer record into this one'
      // After an undo the event travels back with its conversation, so it must say it no longer holds.
      return data.undoneAt !== undefined ? `${actor} ${what} (undone)` : `${actor} ${what}`
    }
    case 'consent_changed': {
      const changes = consentList(data.changes)
      const keyword = text('keyword')
      const said = keyword ? `The customer sent ${keyword}` : `${actor} changed consent`
      return changes ? `${said}: ${changes}` : said
    }
    case 'consent_superseded': {
      const keyword = text('keyword') ?? 'A consent request'
      return `${keyword} arrived after a later choice of the customer's and was not applied`
    }
    case 'identity_suggested': {
      // The detail says why, e.g. that an address was only typed into the chat form and so linked
      // nothing. The other record is not named: it may be in inboxes this agent may not see.
      const detail = text('detail')
      return `Possibly the same person as another customer record${detail ? `: ${detail}` : ''}`
    }
    case 'channel_switched':
      return describeSwitch(data)
    case 'items_moved':
      return describeMove(data, (id) => conversationLabels.get(id) ?? null)
    case 'priority_changed': {
      const to = text('to')
      return to ? `${actor} set the priority to ${to}` : `${actor} changed the priority`
    }
    case 'csat_requested':
      return describeCsatRequest(data)
    case 'csat_answered':
      return describeCsatAnswer(data).text
    default:
      return `${actor} updated the conversation`
  }
}

/** `{ promotional: false, sms: false }` → "opted out of promotional, SMS". */
function consentList(value: unknown): string | null {
  if (!value || typeof value !== 'object') return null
  const entries = Object.entries(value as Record<string, unknown>)
  const named = (granted: boolean) =>
    entries.filter(([, v]) => v === granted).map(([k]) => (k in CHANNEL_LABELS ? CHANNEL_LABELS[k as keyof typeof CHANNEL_LABELS] : k))
  const parts = [named(false).length ? `opted out of ${named(false).join(', ')}` : '', named(true).length ? `opted in to ${named(true).join(', ')}` : '']
  return parts.filter(Boolean).join('; ') || null
}

/** A rating as five stars, the first `rating` filled. Decorative: the line beside them says the rating in words. */
function RatingStars({ rating }: { rating: number }) {
  return (
    <span className="csat-stars" aria-hidden="true">
      <span className="csat-stars-on">{'★'.repeat(rating)}</span>
      {'★'.repeat(5 - rating)}
    </span>
  )
}

const EVENT_LINE_CLASSES: Partial<Record<TimelineEvent['type'], string>> = { channel_switched: 'event-switch', csat_requested: 'event-csat', csat_answered: 'event-csat' }

function EventLine({ event, userNames, conversationLabels }: { event: TimelineEvent; userNames: Map<string, string>; conversationLabels: Map<string, string> }) {
  const rating = event.type === 'csat_answered' ? describeCsatAnswer(event.data).rating : null
  const tone = EVENT_LINE_CLASSES[event.type]
  return (
    <p className={`event-line${tone ? ` ${tone}` : ''}`}>
      {event.type === 'channel_switched' && <Icon name="sync" size={12} />}
      {rating !== null && <RatingStars rating={rating} />}
      <span>{describeEvent(event, userNames, conversationLabels)}</span>
      <time dateTime={new Date(event.createdAt).toISOString()} title={fullTime(event.createdAt)}>
        {clockTime(event.createdAt)}
      </time>
    </p>
  )
}
