import { useState } from 'react'
import type { AdminDirectory } from '../../../../shared/admin'
import type { Role, User } from '../../../../shared/domain'
import { ROLES } from '../../../../shared/domain-values'
import { Dialog } from '../../lib/Dialog'
import { InboxPicker } from './InboxPicker'
import { Refusal } from './parts'
import { useAdminChange } from './queries'

/** Creates a user (no `user`) or changes one's name, role, team and inbox access. */
export function UserDialog({ user, directory, onClose }: { user: User | null; directory: AdminDirectory; onClose(): void }) {
  const [name, setName] = useState(user?.name ?? '')
  const [email, setEmail] = useState('')
  const [role, setRole] = useState<Role>(user?.role ?? 'agent')
  const [team, setTeam] = useState(user?.team ?? '')
  const [inboxes, setInboxes] = useState<string[] | null>(user ? user.inboxes : [])
  const create = useAdminChange('admin.createUser')
  const update = useAdminChange('admin.updateUser')
  const saving = create.isPending || update.isPending
  const error = create.error ?? update.error

  function save(event: React.FormEvent): void {
    event.preventDefault()
    const fields = { name, role, team: team.trim() || null, inboxes }
    const after = { onSuccess: onClose }
    if (user) update.mutate({ userId: user.id, change: fields }, after)
    else create.mutate({ ...fields, email }, after)
  }

  return (
    <Dialog title={user ? `Edit ${user.name}` : 'New user'} onClose={onClose} className="admin-dialog">
      <form onSubmit={save}>
        <label className="field">
          <span>Name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        {!user && (
          <label className="field">
            <span>Email</span>
            <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
          </label>
        )}
        <label className="field">
          <span>Role</span>
          <select value={role} onChange={(e) => setRole(ROLES.find((r) => r === e.target.value) ?? role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Team</span>
          <input value={team} onChange={(e) => setTeam(e.target.value)} list="admin-teams" placeholder="No team" />
          <datalist id="admin-teams">
            {directory.teams.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </label>
        <InboxPicker inboxes={directory.inboxes} value={inboxes} onChange={setInboxes} allowEvery />
        <Refusal error={error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={saving}>
            {saving ? 'Saving…' : user ? 'Save' : 'Create user'}
          </button>
        </div>
      </form>
    </Dialog>
  )
}
