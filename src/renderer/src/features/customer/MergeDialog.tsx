import { useState } from 'react'
import type { Customer } from '../../../../shared/domain'
import { useSearch } from '../../api/queries'
import { Dialog } from '../../lib/Dialog'
import { CHANNEL_LABELS } from '../../lib/format'
import { Icon } from '../../lib/icons'
import { Highlighted } from '../search/Highlighted'
import { useCustomerAction, useMergePreview } from './queries'

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`

/**
 * Choose the other customer (or take the suggested one), see exactly what moves, confirm.
 * The current customer is kept by default; the agent can swap which record survives.
 */
export function MergeDialog({ customer, otherId, onClose }: { customer: Customer; otherId: string | null; onClose(): void }) {
  const [other, setOther] = useState<string | null>(otherId)
  const [keepCurrent, setKeepCurrent] = useState(true)
  const [query, setQuery] = useState('')
  const search = useSearch(other === null && query.trim() ? { text: query.trim(), kinds: ['customer'], limit: 10 } : null)
  const sourceId = other === null ? null : keepCurrent ? other : customer.id
  const targetId = other === null ? null : keepCurrent ? customer.id : other
  const preview = useMergePreview(sourceId, targetId)
  const merge = useCustomerAction('customer.merge', [customer.id, ...(other ? [other] : [])])

  function confirm(): void {
    if (!sourceId || !targetId) return
    merge.mutate({ sourceId, targetId }, { onSuccess: onClose })
  }

  return (
    <Dialog title={`Merge ${customer.name} with another customer`} onClose={onClose} className="merge-dialog">
      {other === null ? (
        <div className="merge-pick">
          <label className="field">
            <span>Find the other customer</span>
            <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="Name, email or phone" data-autofocus />
          </label>
          <ul className="panel-list" aria-label="Matching customers">
            {(search.data ?? [])
              .filter((hit) => hit.customerId !== customer.id)
              .map((hit) => (
                <li key={hit.customerId}>
                  <button type="button" className="panel-row panel-row-button" onClick={() => setOther(hit.customerId)}>
                    <Icon name="user" size={14} />
                    <span className="panel-row-main">
                      <Highlighted parts={hit.title} />
                    </span>
                    <span className="panel-muted">
                      <Highlighted parts={hit.snippet} />
                    </span>
                  </button>
                </li>
              ))}
          </ul>
        </div>
      ) : preview.data ? (
        <div className="merge-preview" data-testid="merge-preview">
          <p>
            <strong>{preview.data.source.name}</strong> will be merged into <strong>{preview.data.target.name}</strong>, who is kept.
          </p>
          <button type="button" className="button button-small button-quiet" onClick={() => setKeepCurrent(!keepCurrent)}>
            Keep {preview.data.source.name} instead
          </button>
          <h3>What moves to {preview.data.target.name}</h3>
          <ul className="merge-moves">
            <li>
              {plural(preview.data.identities.length, 'identity', 'identities')}
              {preview.data.identities.length > 0 && `: ${preview.data.identities.map((i) => i.address).join(', ')}`}
            </li>
            <li>
              {plural(preview.data.conversations.length, 'conversation')}
              {preview.data.conversations.length > 0 &&
                `: ${preview.data.conversations.map((c) => c.subject ?? CHANNEL_LABELS[c.channel]).join(', ')}`}
            </li>
            <li>
              {plural(preview.data.messages, 'message')}, {plural(preview.data.notes, 'note')}, {plural(preview.data.calls, 'call')}
            </li>
            {preview.data.source.labels.length > 0 && <li>labels: {preview.data.source.labels.join(', ')}</li>}
          </ul>
          <p className="panel-muted">Withdrawn consent on either record stays withdrawn. You can undo the merge afterwards.</p>
        </div>
      ) : preview.isError ? (
        <p className="inline-error">{preview.error.message}</p>
      ) : (
        <p className="panel-muted">Preparing the preview…</p>
      )}
      {merge.error && (
        <p className="inline-error" role="alert">
          {merge.error.message}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="button button-primary" disabled={!preview.data || merge.isPending} onClick={confirm}>
          <Icon name="merge" size={14} />
          Merge customers
        </button>
      </div>
    </Dialog>
  )
}
