import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useApi } from '../../api/context'
import { fullTime } from '../../lib/format'
import { AdminTable, Refusal, RowButton } from './parts'

const ERASURES = ['admin', 'erasures'] as const

/** Customers erased and not yet purged, soonest purge first, each restorable until then. */
export function ErasuresPanel() {
  const api = useApi()
  const client = useQueryClient()
  const erasures = useQuery({ queryKey: ERASURES, queryFn: () => api.call('privacy.erasures', {}) })
  const restore = useMutation({
    mutationFn: (customerId: string) => api.call('customer.restore', { customerId }),
    onSettled: () => void client.invalidateQueries({ queryKey: ERASURES }),
  })
  return (
    <section className="admin-section" aria-label="Erasures pending">
      <Refusal error={erasures.error ?? restore.error} />
      {erasures.data?.length === 0 && <p className="panel-muted">No customer is waiting to be purged.</p>}
      {erasures.data && erasures.data.length > 0 && (
        <AdminTable label="Erasures pending" columns={['Customer', 'Erased', 'Purged']}>
          {erasures.data.map((e) => (
            <tr key={e.customerId}>
              <td>{e.name}</td>
              <td>{fullTime(e.requestedAt)}</td>
              <td>{e.immediate ? 'at the next pass' : fullTime(e.purgeAt)}</td>
              <td>
                {!e.immediate && (
                  <RowButton label="Restore" name={`Restore ${e.name}`} disabled={restore.isPending} onClick={() => restore.mutate(e.customerId)} />
                )}
              </td>
            </tr>
          ))}
        </AdminTable>
      )}
    </section>
  )
}
