import { useState } from 'react'
import type { User } from '../../../../shared/domain'
import { isActive } from '../../../../shared/roles'
import { IntegrationsPanel } from './IntegrationsPanel'
import { AuditLogPanel } from './AuditLogPanel'
import { ErasuresPanel } from './ErasuresPanel'
import { RetentionPanel } from './RetentionPanel'
import { AdminTable, Refusal, RowButton } from './parts'
import { useAdminChange, useAdminDirectory, useAdminUsers } from './queries'
import { TokensDialog } from './TokensDialog'
import { UserDialog } from './UserDialog'
import './admin.css'

type Open = { kind: 'edit'; user: User | null } | { kind: 'tokens'; user: User } | null

const TABS = { users: 'Users', integrations: 'Integrations', retention: 'Retention', erasures: 'Erasures', audit: 'Audit log' } as const
type Tab = keyof typeof TABS

/** Users, their access and tokens, and integrations, for admins. It talks to the server directly, so it works online only. */
export function AdminScreen({ onClose }: { onClose(): void }) {
  const [tab, setTab] = useState<Tab>('users')
  const [open, setOpen] = useState<Open>(null)
  const users = useAdminUsers()
  const directory = useAdminDirectory()
  const setActive = useAdminChange('admin.setActive')
  const loadError = users.error ?? directory.error

  return (
    <section className="admin-screen" aria-label="Administration">
      <header className="admin-header">
        <h1>Administration</h1>
        <div role="tablist" className="admin-tabs">
          {(Object.keys(TABS) as Tab[]).map((t) => (
            <button key={t} type="button" role="tab" aria-selected={tab === t} className="button button-quiet" onClick={() => setTab(t)}>
              {TABS[t]}
            </button>
          ))}
        </div>
        <button type="button" className="button" onClick={onClose}>
          Back to the inbox
        </button>
      </header>
      <Refusal error={loadError ?? setActive.error} />
      {tab === 'users' && users.data && (
        <section className="admin-section" aria-label="Users">
          <button type="button" className="button button-primary" disabled={!directory.data} onClick={() => setOpen({ kind: 'edit', user: null })}>
            New user
          </button>
          <AdminTable label="Users" columns={['Name', 'Email', 'Role', 'Team', 'Inboxes', 'Status']}>
              {users.data.map((u) => (
                <tr key={u.id} data-user={u.email}>
                  <td>{u.name}</td>
                  <td>{u.email}</td>
                  <td>{u.role}</td>
                  <td>{u.team ?? '—'}</td>
                  <td>{u.inboxes === null ? 'Every inbox' : u.inboxes.join(', ') || 'None'}</td>
                  <td>{isActive(u) ? 'Active' : 'Deactivated'}</td>
                  <td className="admin-actions">
                    <RowButton label="Edit" name={`Edit ${u.name}`} disabled={!directory.data} onClick={() => setOpen({ kind: 'edit', user: u })} />
                    <RowButton label="Tokens" name={`Tokens of ${u.name}`} onClick={() => setOpen({ kind: 'tokens', user: u })} />
                    <RowButton
                      label={isActive(u) ? 'Deactivate' : 'Reactivate'}
                      name={`${isActive(u) ? 'Deactivate' : 'Reactivate'} ${u.name}`}
                      disabled={setActive.isPending}
                      onClick={() => setActive.mutate({ userId: u.id, active: !isActive(u) })}
                    />
                  </td>
                </tr>
              ))}
          </AdminTable>
        </section>
      )}
      {tab === 'integrations' && directory.data && <IntegrationsPanel directory={directory.data} />}
      {tab === 'audit' && <AuditLogPanel />}
      {tab === 'erasures' && <ErasuresPanel />}
      {tab === 'retention' && directory.data && <RetentionPanel directory={directory.data} />}
      {open?.kind === 'edit' && directory.data && <UserDialog user={open.user} directory={directory.data} onClose={() => setOpen(null)} />}
      {open?.kind === 'tokens' && <TokensDialog user={open.user} onClose={() => setOpen(null)} />}
    </section>
  )
}
