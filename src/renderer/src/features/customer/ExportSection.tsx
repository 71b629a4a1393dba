import { useMutation } from '@tanstack/react-query'
import type { Customer } from '../../../../shared/domain'
import { hasRole } from '../../../../shared/roles'
import { useApi } from '../../api/context'
import { useSession } from '../../api/queries'
import { Icon } from '../../lib/icons'

const size = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} bytes`

/**
 * For a customer's request for their data: the server makes the whole archive (docs/export.md)
 * and the core saves it in the Downloads folder. Shown to supervisors and admins; the server
 * still refuses a supervisor who cannot see every inbox of the customer, and says why.
 */
export function ExportSection({ customer }: { customer: Customer }) {
  const api = useApi()
  const session = useSession()
  const download = useMutation({ mutationFn: () => api.call('customer.export', { customerId: customer.id }) })
  if (!session.data || !hasRole(session.data.user, 'supervisor')) return null
  return (
    <section className="panel-section" aria-label="Data export">
      <header className="panel-section-header">
        <h3>Data export</h3>
        <button type="button" className="button button-small" disabled={download.isPending} onClick={() => download.mutate()}>
          <Icon name="download" size={14} />
          Export data
        </button>
      </header>
      <p className="panel-muted">Everything kept about {customer.name}, as one archive, for a request for their data.</p>
      {download.isPending && (
        <p className="panel-pending" role="status">
          Exporting…
        </p>
      )}
      {download.data && (
        <div className="export-saved" role="status" data-testid="export-saved">
          <Icon name="check" size={14} /> Saved ({size(download.data.bytes)}):
          <code className="export-path">{download.data.path}</code>
        </div>
      )}
      {download.error && (
        <p className="inline-error" role="alert">
          {download.error.message}
        </p>
      )}
    </section>
  )
}
