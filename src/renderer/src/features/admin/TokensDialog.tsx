import type { User } from '../../../../shared/domain'
import { Dialog } from '../../lib/Dialog'
import { fullTime } from '../../lib/format'
import { AdminTable, Refusal, RowButton } from './parts'
import { useAdminChange, useUserTokens } from './queries'

const when = (at: number | null): string => (at === null ? 'never' : fullTime(at))

/** A user's API tokens (signed-in devices, scripts): when each was last used, and a way to revoke it. */
export function TokensDialog({ user, onClose }: { user: User; onClose(): void }) {
  const tokens = useUserTokens(user.email)
  const revoke = useAdminChange('admin.revokeToken')
  return (
    <Dialog title={`Tokens of ${user.name}`} onClose={onClose} className="admin-dialog admin-tokens">
      <Refusal error={tokens.error} />
      {tokens.data?.length === 0 && <p className="panel-muted">{user.name} has no tokens: no device is signed in.</p>}
      {tokens.data && tokens.data.length > 0 && (
        <AdminTable label={`Tokens of ${user.name}`} columns={['Label', 'Created', 'Last used', 'Expires']}>
            {tokens.data.map((t) => (
              <tr key={t.id}>
                <td>{t.label ?? 'unnamed'}</td>
                <td>{when(t.createdAt)}</td>
                <td>{when(t.lastUsedAt)}</td>
                <td>{when(t.expiresAt)}</td>
                <td>
                  <RowButton
                    label="Revoke"
                    name={`Revoke ${t.label ?? 'unnamed'} token`}
                    disabled={revoke.isPending}
                    onClick={() => revoke.mutate({ tokenId: t.id })}
                  />
                </td>
              </tr>
            ))}
        </AdminTable>
      )}
      <Refusal error={revoke.error} />
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  )
}
