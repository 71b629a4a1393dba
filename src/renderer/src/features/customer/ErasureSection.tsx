import { useMutation, useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import type { Customer } from '../../../../shared/domain'
import { hasRole } from '../../../../shared/roles'
import { useApi } from '../../api/context'
import { useSession } from '../../api/queries'
import { Dialog } from '../../lib/Dialog'

const days = (n: number): string => `${n} day${n === 1 ? '' : 's'}`

/**
 * For a customer's request to be forgotten (docs/privacy.md). Shown to supervisors and admins;
 * the server refuses a supervisor who cannot see every inbox of the customer, and says why. Once
 * erased, the customer leaves every screen through the sync, this one's included.
 */
export function ErasureSection({ customer }: { customer: Customer }) {
  const session = useSession()
  const [confirming, setConfirming] = useState(false)
  if (!session.data || !hasRole(session.data.user, 'supervisor') || customer.mergedInto) return null
  return (
    <section className="panel-section" aria-label="Erasure">
      <header className="panel-section-header">
        <h3>Erasure</h3>
        <button type="button" className="button button-small button-danger" onClick={() => setConfirming(true)}>
          Erase customer…
        </button>
      </header>
      {confirming && <EraseDialog customer={customer} onClose={() => setConfirming(false)} />}
    </section>
  )
}

function EraseDialog({ customer, onClose }: { customer: Customer; onClose(): void }) {
  const api = useApi()
  const [now, setNow] = useState(false)
  const policy = useQuery({ queryKey: ['privacy', 'erasurePolicy'], queryFn: () => api.call('privacy.erasurePolicy', {}) })
  const erase = useMutation({ mutationFn: () => api.call('customer.erase', { customerId: customer.id, now }) })
  const grace = policy.data?.graceDays
  return (
    <Dialog title={`Erase ${customer.name}?`} onClose={onClose} className="erase-dialog">
      <p>
        {customer.name}, their addresses, conversations, messages, notes, calls and summaries disappear at once from every screen,
        this device&apos;s and every other agent&apos;s.
      </p>
      {grace === undefined ? (
        <p className="panel-muted">{policy.isError ? policy.error.message : 'Reading the grace period…'}</p>
      ) : (
        <p data-testid="erase-grace">
          {now
            ? 'Everything is purged for good at once: it cannot be restored.'
            : `An admin can restore everything for ${days(grace)}; then it is purged for good.`}
        </p>
      )}
      <label className="field-checkbox">
        <input type="checkbox" checked={now} onChange={(e) => setNow(e.target.checked)} />
        Legal request: purge now, with no grace period
      </label>
      {erase.error && (
        <p className="inline-error" role="alert">
          {erase.error.message}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="button button-danger"
          disabled={erase.isPending || grace === undefined}
          onClick={() => erase.mutate(undefined, { onSuccess: onClose })}
          data-autofocus
        >
          Erase {customer.name}
        </button>
      </div>
    </Dialog>
  )
}
