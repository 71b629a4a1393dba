import { useState } from 'react'
import type { AdminDirectory } from '../../../../shared/admin'
import { fullTime } from '../../lib/format'
import { InboxPicker } from './InboxPicker'
import { AdminTable, Refusal, RowButton } from './parts'
import { useAdminChange, useIntegrations } from './queries'

/** Integrations (Zapier, a script) that post inbound items: create one (its token shown once), or revoke it. */
export function IntegrationsPanel({ directory }: { directory: AdminDirectory }) {
  const integrations = useIntegrations()
  const create = useAdminChange('admin.createIntegration')
  const revoke = useAdminChange('admin.revokeIntegration')
  const [name, setName] = useState('')
  const [inboxes, setInboxes] = useState<string[] | null>([])
  const [copied, setCopied] = useState(false)
  const created = create.data

  function submit(event: React.FormEvent): void {
    event.preventDefault()
    setCopied(false)
    create.mutate({ name, inboxes: inboxes ?? [] }, { onSuccess: () => setName('') })
  }

  return (
    <section className="admin-section" aria-label="Integrations">
      {created && (
        <div className="admin-secret" role="status">
          <p>
            The token of <strong>{created.integration.name}</strong>, shown only now: copy it into the integration.
          </p>
          <code data-testid="integration-token">{created.token}</code>
          <button
            type="button"
            className="button button-small"
            onClick={() => void navigator.clipboard.writeText(created.token).then(() => setCopied(true))}
          >
            {copied ? 'Copied' : 'Copy'}
          </button>
          <button type="button" className="button button-small button-quiet" onClick={() => create.reset()}>
            Done
          </button>
        </div>
      )}
      <form className="admin-create" onSubmit={submit}>
        <label className="field">
          <span>New integration</span>
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Name, e.g. Zapier" required />
        </label>
        <InboxPicker inboxes={directory.inboxes} value={inboxes} onChange={setInboxes} allowEvery={false} />
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          Create integration
        </button>
      </form>
      <Refusal error={create.error ?? revoke.error ?? integrations.error} />
      <AdminTable label="Integrations" columns={['Name', 'Inboxes', 'Created', 'Last used', 'Status']}>
          {integrations.data?.map((i) => (
            <tr key={i.id}>
              <td>{i.name}</td>
              <td>{i.inboxes.join(', ')}</td>
              <td>{fullTime(i.createdAt)}</td>
              <td>{i.lastUsedAt === null ? 'never' : fullTime(i.lastUsedAt)}</td>
              <td>{i.revokedAt === null ? 'active' : `revoked ${fullTime(i.revokedAt)}`}</td>
              <td>
                {i.revokedAt === null && (
                  <RowButton label="Revoke" name={`Revoke ${i.name}`} disabled={revoke.isPending} onClick={() => revoke.mutate({ integrationId: i.id })} />
                )}
              </td>
            </tr>
          ))}
      </AdminTable>
    </section>
  )
}
