import { useState } from 'react'
import type { ConsentKey, Customer } from '../../../../shared/domain'
import { fullTime } from '../../lib/format'
import { CONSENT_KEYS_ORDER, CONSENT_LABELS, consentSourceLabel } from './consent'
import { useConsentHistory, useCustomerAction } from './queries'

/**
 * The customer's consent: where each key stands, a form for the agent to record what the customer
 * told them, and the history of every decision with its source, read from this device's cache.
 */
export function ConsentSection({ customer }: { customer: Customer }) {
  const [recording, setRecording] = useState(false)
  return (
    <section className="panel-section" aria-label="Consent">
      <header className="panel-section-header">
        <h3>Consent</h3>
        {!customer.mergedInto && (
          <button type="button" className="link-button" aria-expanded={recording} onClick={() => setRecording((r) => !r)}>
            Record a change
          </button>
        )}
      </header>
      <dl className="consent-grid">
        {CONSENT_KEYS_ORDER.map((key) => {
          const value = customer.consent[key]
          const state = value === undefined ? 'unknown' : value ? 'given' : 'withdrawn'
          return (
            <div key={key} className="consent-row">
              <dt>{CONSENT_LABELS[key]}</dt>
              <dd className={`consent-${state}`}>{value === undefined ? 'Not asked' : value ? 'Yes' : 'No'}</dd>
            </div>
          )
        })}
      </dl>
      {recording && <RecordConsent customer={customer} onDone={() => setRecording(false)} />}
      <ConsentHistory customerId={customer.id} />
    </section>
  )
}

function RecordConsent({ customer, onDone }: { customer: Customer; onDone(): void }) {
  const action = useCustomerAction('customer.setConsent', [customer.id])
  const [key, setKey] = useState<ConsentKey>('promotional')
  const [value, setValue] = useState<boolean>(false)
  const [note, setNote] = useState('')
  return (
    <form
      className="consent-form"
      aria-label="Record a consent change"
      onSubmit={(e) => {
        e.preventDefault()
        action.mutate({ customerId: customer.id, changes: { [key]: value }, ...(note.trim() ? { note: note.trim() } : {}) }, { onSuccess: onDone })
      }}
    >
      <label>
        Consent to
        <select value={key} onChange={(e) => setKey(e.target.value as ConsentKey)}>
          {CONSENT_KEYS_ORDER.map((k) => (
            <option key={k} value={k}>
              {CONSENT_LABELS[k]}
            </option>
          ))}
        </select>
      </label>
      <fieldset className="consent-choice">
        <legend>The customer</legend>
        <label>
          <input type="radio" name="consent-value" checked={value} onChange={() => setValue(true)} /> gave it
        </label>
        <label>
          <input type="radio" name="consent-value" checked={!value} onChange={() => setValue(false)} /> withdrew it
        </label>
      </fieldset>
      <label>
        How they said so
        <input type="text" value={note} maxLength={500} placeholder="e.g. on a call, 3 Dec" onChange={(e) => setNote(e.target.value)} />
      </label>
      <div className="consent-form-actions">
        <button type="button" className="button button-small" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="button button-small button-primary" disabled={action.isPending}>
          Record
        </button>
      </div>
      {action.error && <p className="inline-error">{action.error.message}</p>}
    </form>
  )
}

function ConsentHistory({ customerId }: { customerId: string }) {
  const history = useConsentHistory(customerId)
  const records = history.data ?? []
  if (records.length === 0) return null
  return (
    <details className="consent-history">
      <summary>History ({records.length})</summary>
      <ol aria-label="Consent history">
        {records.map((r) => (
          <li key={`${r.eventId}:${r.key}`} className={r.applied ? undefined : 'consent-not-applied'} data-testid="consent-record">
            <span className="consent-history-decision">
              {CONSENT_LABELS[r.key]}: <strong className={r.value ? 'consent-given' : 'consent-withdrawn'}>{r.value ? 'Yes' : 'No'}</strong>
            </span>
            <span className="panel-muted">
              {consentSourceLabel(r)} · <time dateTime={new Date(r.at).toISOString()}>{fullTime(r.at)}</time>
            </span>
            {r.note && <span className="consent-note">“{r.note}”</span>}
            {!r.applied && <span className="panel-muted">Not applied: a later answer of the customer stood.</span>}
          </li>
        ))}
      </ol>
    </details>
  )
}
