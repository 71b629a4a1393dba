import { useMutation } from '@tanstack/react-query'
import { useState } from 'react'
import { AUDIT_ACTIONS, AUDIT_TARGET_TYPES, type AuditAction, type AuditEntry, type AuditFilter, type AuditTargetType } from '../../../../shared/audit'
import { useApi } from '../../api/context'
import { fullTime } from '../../lib/format'
import { AdminTable, Refusal } from './parts'
import { useAdminUsers, useAuditLog } from './queries'

const ACTION_LABELS: Record<AuditAction, string> = {
  'timeline.opened': 'Opened a timeline',
  'customer.exported': 'Exported a customer',
  'customer.erased': 'Erased a customer',
  'customer.restored': 'Restored a customer',
  'customer.purged': 'Purged a customer',
  'customer.merged': 'Merged customers',
  'customer.unmerged': 'Undid a merge',
  'consent.changed': 'Changed consent',
  'user.role_changed': 'Changed a role',
  'token.created': 'Created a token',
  'token.revoked': 'Revoked a token',
  'integration.created': 'Created an integration',
  'integration.revoked': 'Revoked an integration',
  'retention_policy.changed': 'Changed retention',
  'audit.exported': 'Exported the audit log',
}

const ORIGIN_LABELS: Record<AuditEntry['origin']['via'], string> = {
  rest: 'REST API',
  app: 'App',
  cli: 'Command line',
  integration: 'Integration token',
  channel: 'Customer’s channel',
  server: 'Server',
}

/** A date field's day as the start of that day (from) or of the next (to, which is exclusive), in local time. */
function dayBound(day: string, end: boolean): number | undefined {
  if (!day) return undefined
  const at = new Date(`${day}T00:00:00`)
  if (end) at.setDate(at.getDate() + 1)
  return at.getTime()
}

function origin(e: AuditEntry): string {
  const where = [e.origin.ip, e.origin.userAgent].filter(Boolean).join(' · ')
  return where ? `${ORIGIN_LABELS[e.origin.via]} (${where})` : ORIGIN_LABELS[e.origin.via]
}

/**
 * The audit log for admins: who opened, exported, erased, merged or changed what, newest first,
 * filtered by actor, action, target and day, and downloadable as CSV with the same filters.
 */
export function AuditLogPanel() {
  const api = useApi()
  const users = useAdminUsers()
  const [actor, setActor] = useState('')
  const [action, setAction] = useState('')
  const [targetType, setTargetType] = useState('')
  const [targetId, setTargetId] = useState('')
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const filter: AuditFilter = {
    ...(actor ? { actor: actor as AuditFilter['actor'] } : {}),
    ...(action ? { action: action as AuditAction } : {}),
    ...(targetType ? { targetType: targetType as AuditTargetType } : {}),
    ...(targetId.trim() ? { targetId: targetId.trim() } : {}),
    ...(from ? { from: dayBound(from, false) } : {}),
    ...(to ? { to: dayBound(to, true) } : {}),
  }
  const log = useAuditLog(filter)
  const exported = useMutation({ mutationFn: (f: AuditFilter) => api.call('admin.auditExport', f) })
  const entries = log.data?.pages.flatMap((p) => p.items) ?? []

  return (
    <section className="admin-section" aria-label="Audit log">
      <div className="admin-create">
        <label className="field">
          <span>Who</span>
          <select value={actor} onChange={(e) => setActor(e.target.value)}>
            <option value="">Anyone</option>
            {users.data?.map((u) => (
              <option key={u.id} value={`user:${u.id}`}>
                {u.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Action</span>
          <select value={action} onChange={(e) => setAction(e.target.value)}>
            <option value="">Every action</option>
            {AUDIT_ACTIONS.map((a) => (
              <option key={a} value={a}>
                {ACTION_LABELS[a]}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Target</span>
          <select value={targetType} onChange={(e) => setTargetType(e.target.value)}>
            <option value="">Anything</option>
            {AUDIT_TARGET_TYPES.map((t) => (
              <option key={t} value={t}>
                {t.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Target id</span>
          <input value={targetId} onChange={(e) => setTargetId(e.target.value)} placeholder="e.g. a customer’s id" />
        </label>
        <label className="field">
          <span>From</span>
          <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label className="field">
          <span>To</span>
          <input type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
        <button type="button" className="button" disabled={exported.isPending} onClick={() => exported.mutate(filter)}>
          {exported.isPending ? 'Exporting…' : 'Export CSV'}
        </button>
      </div>
      {exported.data && (
        <p role="status">
          Saved {exported.data.name} to {exported.data.path.slice(0, exported.data.path.length - exported.data.name.length - 1)}
        </p>
      )}
      <Refusal error={log.error ?? exported.error ?? users.error} />
      <AdminTable label="Audit log entries" columns={['When', 'Who', 'Action', 'Target', 'Origin']}>
        {entries.map((e) => (
          <tr key={e.id} data-action={e.action}>
            <td>{fullTime(e.at)}</td>
            <td title={e.actor}>{e.actorName}</td>
            <td>{ACTION_LABELS[e.action]}</td>
            <td>
              {e.target.type.replace('_', ' ')} <code>{e.target.id}</code>
            </td>
            <td>{origin(e)}</td>
            <td />
          </tr>
        ))}
      </AdminTable>
      {log.data && entries.length === 0 && <p>No entries match.</p>}
      {log.hasNextPage && (
        <button type="button" className="button" disabled={log.isFetchingNextPage} onClick={() => void log.fetchNextPage()}>
          Older entries
        </button>
      )}
    </section>
  )
}
