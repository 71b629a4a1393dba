import { useState } from 'react'
import { ConsentSection } from './ConsentSection'
import { ExportSection } from './ExportSection'
import { ErasureSection } from './ErasureSection'
import type { Customer, Identity, IdentityKind, UnverifiedReason } from '../../../../shared/domain'
import type { CustomerMergeItem, CustomerProfile } from '../../../../shared/ipc'
import { useCustomer, useOutboxAction } from '../../api/queries'
import { CHANNEL_LABELS, STATUS_LABELS, UNVERIFIED_LABELS, fullTime } from '../../lib/format'
import { Dialog } from '../../lib/Dialog'
import { ChannelIcon, Icon, type IconName } from '../../lib/icons'
import type { Selection } from '../inbox/InboxList'
import { MergeDialog } from './MergeDialog'
import { useCustomerAction, useCustomerRelated, usePanelLiveUpdates } from './queries'

const IDENTITY_ICONS: Record<IdentityKind, IconName> = { email: 'email', phone: 'voice', whatsapp: 'whatsapp', chat: 'chat' }
const IDENTITY_LABELS: Record<IdentityKind, string> = { email: 'Email', phone: 'Phone', whatsapp: 'WhatsApp', chat: 'Chat visitor' }

/**
 * The right-hand column: who the customer is (identities, consent, labels, attributes), their
 * other conversations, probable duplicates to merge or dismiss, and merges to undo.
 */
export function CustomerPanel({ customerId, onOpen }: { customerId: string; onOpen(selection: Selection): void }) {
  usePanelLiveUpdates()
  const profile = useCustomer(customerId)
  const [merging, setMerging] = useState<{ otherId: string | null } | null>(null)
  if (!profile.data) {
    return (
      <aside className="customer-panel" aria-label="Customer details">
        {profile.isError ? (
          <p className="inline-error">Could not load this customer: {profile.error.message}</p>
        ) : profile.isSuccess ? (
          // Gone from the cache while open: erased, or out of this agent's inboxes now.
          <p className="panel-muted" role="status">
            This customer is no longer here.
          </p>
        ) : (
          <p className="panel-muted">Loading…</p>
        )}
      </aside>
    )
  }
  const { customer } = profile.data
  return (
    <aside className="customer-panel" aria-label="Customer details" data-testid="customer-panel">
      {customer.mergedInto && <MergedNotice customer={customer} onOpen={onOpen} />}
      <Identities profile={profile.data} />
      <ConsentSection customer={customer} />
      <CustomerLabels customer={customer} />
      <Attributes customer={customer} />
      <PastConversations profile={profile.data} onOpen={onOpen} />
      {!customer.mergedInto && <Related customer={customer} onMerge={(otherId) => setMerging({ otherId })} />}
      <ExportSection customer={customer} />
      <ErasureSection customer={customer} />
      {merging && <MergeDialog customer={customer} otherId={merging.otherId} onClose={() => setMerging(null)} />}
    </aside>
  )
}

function Section({ title, children, action }: { title: string; children: React.ReactNode; action?: React.ReactNode }) {
  return (
    <section className="panel-section" aria-label={title}>
      <header className="panel-section-header">
        <h3>{title}</h3>
        {action}
      </header>
      {children}
    </section>
  )
}

function MergedNotice({ customer, onOpen }: { customer: Customer; onOpen(selection: Selection): void }) {
  const target = useCustomer(customer.mergedInto ?? null)
  const latest = target.data?.conversations[0]
  return (
    <p className="panel-notice" role="note">
      <Icon name="merge" size={14} /> This record was merged into{' '}
      {latest ? (
        <button type="button" className="link-button" onClick={() => onOpen({ customerId: latest.customerId, conversationId: latest.id })}>
          {target.data?.customer.name ?? 'another customer'}
        </button>
      ) : (
        (target.data?.customer.name ?? 'another customer')
      )}
      .
    </p>
  )
}

function Identities({ profile }: { profile: CustomerProfile }) {
  return (
    <Section title="Identities">
      {profile.identities.length === 0 ? (
        <p className="panel-muted">No known addresses.</p>
      ) : (
        <ul className="panel-list" aria-label="Identities">
          {profile.identities.map((identity) => (
            <li key={identity.id} className="panel-row">
              <Icon name={IDENTITY_ICONS[identity.kind]} size={14} />
              <span className="panel-row-main">{identity.address}</span>
              <span className="panel-muted">{IDENTITY_LABELS[identity.kind]}</span>
              {identity.unverified && <UnverifiedIdentity identity={identity} reason={identity.unverified} />}
            </li>
          ))}
        </ul>
      )}
    </Section>
  )
}

/** A claimed address: marked, and an agent who has checked it with the customer can vouch for it. */
function UnverifiedIdentity({ identity, reason }: { identity: Identity; reason: UnverifiedReason }) {
  const verify = useCustomerAction('customer.verifyIdentity', [identity.customerId])
  return (
    <>
      <span className="unverified-badge" title={UNVERIFIED_LABELS[reason]} data-testid="identity-unverified">
        Unverified
      </span>
      <button
        type="button"
        className="link-button"
        disabled={verify.isPending}
        title="You have confirmed with the customer that this address is theirs; it will then link their messages"
        onClick={() => verify.mutate({ identityId: identity.id })}
      >
        Verify
      </button>
    </>
  )
}

function CustomerLabels({ customer }: { customer: Customer }) {
  const label = useCustomerAction('customer.label', [customer.id])
  const [text, setText] = useState('')
  function add(): void {
    const value = text.trim()
    setText('')
    if (value && !customer.labels.includes(value)) label.mutate({ customerId: customer.id, add: [value] })
  }
  return (
    <Section title="Labels">
      <ul className="labels" aria-label="Customer labels">
        {customer.labels.map((l) => (
          <li key={l} className="label-chip">
            <Icon name="tag" size={12} />
            {l}
            <button type="button" className="chip-remove" aria-label={`Remove customer label ${l}`} onClick={() => label.mutate({ customerId: customer.id, remove: [l] })}>
              ×
            </button>
          </li>
        ))}
        <li>
          <input
            className="label-input"
            aria-label="Add a customer label"
            placeholder="Add label…"
            value={text}
            maxLength={64}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') add()
            }}
          />
        </li>
      </ul>
      {label.isPending && <p className="panel-muted">Saving…</p>}
      {label.error && <p className="inline-error">{label.error.message}</p>}
    </Section>
  )
}

function Attributes({ customer }: { customer: Customer }) {
  const entries = Object.entries(customer.attributes)
  if (entries.length === 0) return null
  return (
    <Section title="Attributes">
      <dl className="attribute-list">
        {entries.map(([key, value]) => (
          <div key={key} className="attribute-row">
            <dt>{key}</dt>
            <dd>{value === null ? '—' : String(value)}</dd>
          </div>
        ))}
      </dl>
    </Section>
  )
}

/** Past conversations listed before "Show all": a customer may have hundreds. */
const RECENT_CONVERSATIONS = 10

function PastConversations({ profile, onOpen }: { profile: CustomerProfile; onOpen(selection: Selection): void }) {
  const [showAll, setShowAll] = useState(false)
  const all = profile.conversations
  const shown = showAll ? all : all.slice(0, RECENT_CONVERSATIONS)
  return (
    <Section title={`Conversations (${all.length})`}>
      <ul className="panel-list" aria-label="Past conversations">
        {shown.map((c) => (
          <li key={c.id}>
            <button type="button" className="panel-row panel-row-button" onClick={() => onOpen({ customerId: c.customerId, conversationId: c.id })}>
              <ChannelIcon channel={c.channel} />
              <span className="panel-row-main">{c.subject ?? CHANNEL_LABELS[c.channel]}</span>
              <span className={`pill status-${c.status}`}>{STATUS_LABELS[c.status]}</span>
            </button>
          </li>
        ))}
      </ul>
      {shown.length < all.length && (
        <button type="button" className="link-button" onClick={() => setShowAll(true)}>
          Show all {all.length} conversations
        </button>
      )}
    </Section>
  )
}

function Related({ customer, onMerge }: { customer: Customer; onMerge(otherId: string | null): void }) {
  const related = useCustomerRelated(customer.id)
  const dismiss = useCustomerAction('customer.dismissSuggestion', [customer.id])
  const retry = useOutboxAction('outbox.retry', customer.id)
  const discard = useOutboxAction('outbox.discard', customer.id)
  const data = related.data
  const pendingMerge = data?.pending.find((p) => p.state === 'pending')
  const failed = data?.pending.filter((p) => p.state === 'failed') ?? []
  return (
    <Section
      title="Duplicates and merges"
      action={
        <button type="button" className="button button-small" onClick={() => onMerge(null)}>
          <Icon name="merge" size={14} />
          Merge…
        </button>
      }
    >
      {pendingMerge && (
        <p className="panel-pending" role="status" data-testid="merge-pending">
          <Icon name="sync" size={14} /> {pendingMerge.name === 'mergeCustomers' ? 'Merge' : 'Undo'} waiting for the server…
        </p>
      )}
      {failed.map((f) => (
        <div key={f.mutationId} className="inline-error" role="alert">
          <p>
            The server refused the {f.name === 'mergeCustomers' ? 'merge' : 'undo'}: {f.error}
          </p>
          <div className="suggestion-actions">
            <button type="button" className="button button-small" onClick={() => retry.mutate(f.mutationId)}>
              Retry
            </button>
            <button type="button" className="button button-small button-quiet" onClick={() => discard.mutate(f.mutationId)}>
              Discard
            </button>
          </div>
        </div>
      ))}
      {data?.suggestions.map((s) => (
        <div key={s.suggestionId} className="suggestion" data-testid="merge-suggestion">
          <p>
            <strong>{s.candidateName}</strong> may be the same person <span className="panel-muted">({s.detail})</span>
          </p>
          <div className="suggestion-actions">
            <button type="button" className="button button-small" disabled={!s.candidate} onClick={() => onMerge(s.candidateId)}>
              Merge…
            </button>
            <button
              type="button"
              className="button button-small button-quiet"
              disabled={dismiss.isPending}
              onClick={() => dismiss.mutate({ suggestionId: s.suggestionId })}
            >
              Dismiss
            </button>
          </div>
        </div>
      ))}
      {data?.merges.map((m) => <MergeRecord key={m.mergeId} merge={m} customerIds={[m.sourceId, m.targetId]} />)}
      {data && data.suggestions.length === 0 && data.merges.length === 0 && !pendingMerge && (
        <p className="panel-muted">No suggested duplicates.</p>
      )}
    </Section>
  )
}

function MergeRecord({ merge, customerIds }: { merge: CustomerMergeItem; customerIds: string[] }) {
  const unmerge = useCustomerAction('customer.unmerge', customerIds)
  const [confirming, setConfirming] = useState(false)
  return (
    <div className="merge-record" data-testid="merge-record">
      <p>
        Merged <strong>{merge.sourceName}</strong> into <strong>{merge.targetName}</strong>{' '}
        <span className="panel-muted">
          ({merge.identities} identit{merge.identities === 1 ? 'y' : 'ies'}, {merge.conversations} conversation{merge.conversations === 1 ? '' : 's'}, {fullTime(merge.at)})
        </span>
      </p>
      <button type="button" className="button button-small" disabled={unmerge.isPending} onClick={() => setConfirming(true)}>
        <Icon name="undo" size={14} />
        Undo merge
      </button>
      {unmerge.error && <p className="inline-error">{unmerge.error.message}</p>}
      {/* Splitting a customer again moves conversations under agents' feet: asked once more, as the merge was. */}
      {confirming && (
        <Dialog title={`Undo the merge of ${merge.sourceName} into ${merge.targetName}?`} onClose={() => setConfirming(false)} className="merge-dialog">
          <div className="merge-preview">
            <p>
              {merge.sourceName} becomes a customer of their own again, with the identities and conversations the merge moved (and
              whatever has arrived in those conversations since). Changes made to {merge.targetName} after the merge stay.
            </p>
          </div>
          <div className="dialog-actions">
            <button type="button" className="button" onClick={() => setConfirming(false)} data-autofocus>
              Cancel
            </button>
            <button
              type="button"
              className="button button-primary"
              onClick={() => {
                setConfirming(false)
                unmerge.mutate({ mergeId: merge.mergeId })
              }}
            >
              <Icon name="undo" size={14} />
              Undo merge
            </button>
          </div>
        </Dialog>
      )}
    </div>
  )
}
