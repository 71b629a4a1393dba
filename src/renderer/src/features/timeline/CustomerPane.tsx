import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import type { Conversation } from '../../../../shared/domain'
import { useAssign, useCustomer, useMarkRead, useSession, useSetStatus, useUsers } from '../../api/queries'
import { STATUS_LABELS, avatarHue, fullTime, initials } from '../../lib/format'
import { ChannelIcon, Icon } from '../../lib/icons'
import { ActionState, AssignDialog, LabelEditor, PriorityMenu, SnoozeDialog } from '../actions/ConversationActions'
import { useSetPriority } from '../inbox/queries'
import type { ComposerHandle } from '../composer/Composer'
import { LazyComposer } from '../composer/LazyComposer'
import { LazyNewConversationDialog } from '../composer/LazyNewConversationDialog'
import { CustomerTyping } from '../presence/CustomerTyping'
import { Presence } from '../presence/Presence'
import { useRegisterCommands } from '../shortcuts/commands'
import type { Selection } from '../inbox/InboxList'
import { DetailsSlot, DetailsToggle } from '../layout/DetailsDrawer'
import type { DetailsDrawer } from '../layout/use-details-drawer'
import { pickerConversations, pickerLabels } from './conversation-picker'
import { Timeline } from './Timeline'

/**
 * The conversation the header's actions work on: the one the agent opened, else the
 * customer's latest messaging conversation. (The composer picks its own reply channel when
 * this one cannot take a written reply, e.g. a call.)
 */
function defaultConversation(conversations: Conversation[], opened: string): Conversation | undefined {
  const byRecency = [...conversations].sort((a, b) => b.lastMessageAt - a.lastMessageAt)
  const clicked = conversations.find((c) => c.id === opened)
  return clicked ?? byRecency.find((c) => c.channel !== 'voice') ?? byRecency[0]
}

interface PaneProps {
  selection: Selection | null
  /** The customer's details: a column beside the conversation, or a drawer over its timeline. */
  panel: ReactNode
  details: DetailsDrawer
}

export function CustomerPane({ selection, panel, details }: PaneProps) {
  if (!selection) {
    return (
      <section className="customer-pane customer-empty" aria-label="Customer timeline">
        <div className="empty-state">
          <Icon name="inbox" size={32} />
          <p>Select a conversation to see the customer&apos;s whole story.</p>
        </div>
      </section>
    )
  }
  // Keyed by conversation so opening another one starts from its own state.
  return <CustomerView key={selection.conversationId} selection={selection} panel={panel} details={details} />
}

function CustomerView({ selection, panel, details }: PaneProps & { selection: Selection }) {
  const profile = useCustomer(selection.customerId)
  const session = useSession()
  const [chosenId, setChosenId] = useState<string | null>(null)
  const [dialog, setDialog] = useState<'assign' | 'snooze' | 'new' | null>(null)
  const composer = useRef<ComposerHandle | null>(null)
  const conversations = useMemo(() => profile.data?.conversations ?? [], [profile.data])
  const labels = useMemo(() => pickerLabels(conversations), [conversations])
  const conversation =
    conversations.find((c) => c.id === chosenId) ?? defaultConversation(conversations, selection.conversationId)
  const setStatus = useSetStatus(selection.customerId)
  const assign = useAssign(selection.customerId)
  const setPriority = useSetPriority()
  const me = session.data?.user
  const customer = profile.data?.customer
  const actionError = setStatus.error ?? assign.error
  const opened = conversations.find((c) => c.id === selection.conversationId)
  const { mutate: markRead } = useMarkRead()
  const users = useUsers()
  // Opening a conversation reads it, and so does anything that arrives while it is open.
  useEffect(() => {
    if (opened) markRead({ conversationId: opened.id })
  }, [markRead, opened?.id, opened?.lastMessageAt]) // eslint-disable-line react-hooks/exhaustive-deps

  const resolve = () => conversation && conversation.status !== 'resolved' && setStatus.mutate({ conversationId: conversation.id, status: 'resolved' })
  const reopen = () => conversation && conversation.status !== 'open' && setStatus.mutate({ conversationId: conversation.id, status: 'open' })
  useRegisterCommands({
    reply: () => composer.current?.focus('reply'),
    note: () => composer.current?.focus('note'),
    assign: () => setDialog('assign'),
    assignToMe: () => conversation && me && assign.mutate({ conversationId: conversation.id, assigneeId: me.id }),
    resolve,
    reopen,
    snooze: () => setDialog('snooze'),
    markUnread: () => opened && markRead({ conversationId: opened.id, unread: true }),
    setPriority: (priority) => conversation && setPriority.mutate({ conversationId: conversation.id, priority }),
    newConversation: () => setDialog('new'),
  })
  const assigneeName = conversation?.assigneeId
    ? conversation.assigneeId === me?.id
      ? 'Me'
      : (users.data?.find((u) => u.id === conversation.assigneeId)?.name ?? 'An agent')
    : conversation?.team
      ? `Team ${conversation.team}`
      : 'Unassigned'

  return (
    <section className={`customer-pane${details.open ? ' details-open' : ''}`} aria-label="Customer timeline">
      <header className="customer-header">
        <div className="header-row">
          {customer && (
            <span className="avatar" style={{ ['--hue' as string]: avatarHue(customer.id) }} aria-hidden="true">
              {initials(customer.name)}
            </span>
          )}
          <h2 className="customer-title" title={profile.data?.identities.map((i) => i.address).join('\n')}>
            {customer?.name ?? '…'}
          </h2>
          {conversation && (
            <label className="conversation-picker">
              <span className="visually-hidden">Conversation</span>
              <ChannelIcon channel={conversation.channel} />
              <select value={conversation.id} onChange={(e) => setChosenId(e.target.value)} aria-label="Conversation to act on">
                {pickerConversations(conversations, conversation.id).map((c) => (
                  <option key={c.id} value={c.id}>
                    {labels.get(c.id)}
                  </option>
                ))}
              </select>
            </label>
          )}
          <button
            type="button"
            className="button button-quiet button-icon new-conversation-button"
            onClick={() => setDialog('new')}
            aria-label="New conversation"
            title="New conversation with this customer"
            disabled={!customer}
          >
            <Icon name="plus" />
          </button>
          {conversation && (
            <span className={`pill status-${conversation.status}`} data-testid="conversation-status">
              {STATUS_LABELS[conversation.status]}
            </span>
          )}
          {conversation?.status === 'snoozed' && conversation.snoozedUntil !== null && (
            <span className="snoozed-until">until {fullTime(conversation.snoozedUntil)}</span>
          )}
          <span className="header-aside">
            {conversation && <Presence conversationId={conversation.id} />}
            <CustomerTyping customerId={selection.customerId} />
            <DetailsToggle details={details} />
          </span>
        </div>
        {conversation && (
          <div className="header-row">
            <div className="conversation-bar" role="toolbar" aria-label="Conversation actions">
              <button type="button" className="button" onClick={() => setDialog('assign')} aria-label={`Assignee: ${assigneeName}. Change`} aria-keyshortcuts="a">
                <Icon name="user" />
                {assigneeName}
              </button>
              {me && conversation.assigneeId !== me.id && (
                <button
                  type="button"
                  className="button"
                  onClick={() => assign.mutate({ conversationId: conversation.id, assigneeId: me.id })}
                  disabled={assign.isPending}
                  aria-label="Assign to me"
                  title="Assign to me"
                >
                  <Icon name="userPlus" />
                  <span className="button-label">Assign to me</span>
                </button>
              )}
              {conversation.status !== 'resolved' && conversation.status !== 'snoozed' && (
                <button type="button" className="button" onClick={() => setDialog('snooze')} aria-label="Snooze" aria-keyshortcuts="s" title="Snooze (S)">
                  <Icon name="clock" />
                  <span className="button-label">Snooze</span>
                </button>
              )}
              <button
                type="button"
                className="button button-quiet button-icon"
                onClick={() => opened && markRead({ conversationId: opened.id, unread: true })}
                aria-label="Mark unread"
                title="Mark unread (U)"
                aria-keyshortcuts="u"
              >
                <Icon name="inbox" />
              </button>
              {conversation.status === 'resolved' || conversation.status === 'snoozed' ? (
                <button type="button" className="button" onClick={reopen} aria-label="Reopen" title="Reopen">
                  <Icon name="reopen" />
                  <span className="button-label">Reopen</span>
                </button>
              ) : (
                <button type="button" className="button button-success" onClick={resolve} aria-label="Resolve" aria-keyshortcuts="e" title="Resolve (E)">
                  <Icon name="resolve" />
                  <span className="button-label">Resolve</span>
                </button>
              )}
              <PriorityMenu conversation={conversation} />
              <ActionState conversationId={conversation.id} customerId={selection.customerId} />
            </div>
            <LabelEditor conversation={conversation} />
          </div>
        )}
      </header>
      <div className="pane-alerts">
        {actionError && (
          <p className="inline-error" role="alert">
            {actionError.message}
          </p>
        )}
        {profile.isError && (
          <p className="inline-error" role="alert">
            Could not load this customer: {profile.error.message}
          </p>
        )}
      </div>
      <div className="pane-timeline">
        <Timeline customerId={selection.customerId} conversations={conversations} highlightConversationId={conversation?.id ?? null} onOpenConversation={setChosenId} focus={selection.focus ?? null} />
      </div>
      <div className="pane-composer">
        {conversation && (
          <LazyComposer key={conversation.id} customerId={selection.customerId} conversation={conversation} handleRef={composer} />
        )}
      </div>
      <DetailsSlot details={details}>{panel}</DetailsSlot>
      {dialog === 'assign' && conversation && <AssignDialog conversation={conversation} me={me} onClose={() => setDialog(null)} />}
      {dialog === 'new' && <LazyNewConversationDialog customerId={selection.customerId} onClose={() => setDialog(null)} onStarted={setChosenId} />}
      {dialog === 'snooze' && conversation && (
        <SnoozeDialog
          onClose={() => setDialog(null)}
          onSnooze={(until) => setStatus.mutate({ conversationId: conversation.id, status: 'snoozed', snoozedUntil: until })}
        />
      )}
    </section>
  )
}
