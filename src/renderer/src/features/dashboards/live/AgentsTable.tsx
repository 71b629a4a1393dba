import { useId } from 'react'
import { AGENT_STATUSES, type AgentStatus, type AgentStatusName } from '../../../../../shared/agent-status'
import type { User } from '../../../../../shared/domain'
import type { LiveQueues } from '../../../../../shared/reporting/live-queues'
import { isActive } from '../../../../../shared/roles'
import type { Drill } from './labels'
import { FigureButton, WaitedFor } from './parts'

const STATUS_LABELS: Record<AgentStatusName, string> = { online: 'Online', away: 'Away', offline: 'Offline' }

interface AgentRow {
  user: User
  status: AgentStatusName
  /** Null when the server has not said (this device has not heard from it yet). */
  since: number | null
  openAssigned: number
}

/** Online first, then away, then offline; by name within each. */
function agentRows(users: User[], statuses: AgentStatus[], openAssigned: LiveQueues['openAssigned']): AgentRow[] {
  const statusOf = new Map(statuses.map((s) => [s.userId, s]))
  const assigned = new Map(openAssigned.map((a) => [a.assigneeId, a.open]))
  return users
    .filter(isActive)
    .map((user): AgentRow => {
      const status = statusOf.get(user.id)
      return { user, status: status?.status ?? 'offline', since: status?.since ?? null, openAssigned: assigned.get(user.id) ?? 0 }
    })
    .sort((a, b) => AGENT_STATUSES.indexOf(a.status) - AGENT_STATUSES.indexOf(b.status) || a.user.name.localeCompare(b.user.name))
}

/** Who is at work and how many open conversations each holds; a count opens them. */
export function AgentsTable({
  users,
  statuses,
  openAssigned,
  onDrill,
}: {
  users: User[] | undefined
  statuses: AgentStatus[] | undefined
  openAssigned: LiveQueues['openAssigned']
  onDrill(drill: Drill): void
}) {
  const headingId = useId()
  const rows = users ? agentRows(users, statuses ?? [], openAssigned) : null
  return (
    <section className="live-section" aria-labelledby={headingId}>
      <h2 id={headingId}>Agents</h2>
      {!rows ? (
        <p className="live-empty" aria-busy="true">
          Loading…
        </p>
      ) : (
        <table className="live-table" aria-labelledby={headingId}>
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col">Status</th>
              <th scope="col" className="live-number">
                Open assigned
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ user, status, since, openAssigned }) => (
              <tr key={user.id} data-agent={user.email}>
                <th scope="row">{user.name}</th>
                <td>
                  <span className={`agent-status agent-${status}`}>
                    <span className="agent-status-dot" aria-hidden="true" />
                    {STATUS_LABELS[status]}
                    {since !== null && (
                      <span className="agent-status-since">
                        for <WaitedFor since={since} />
                      </span>
                    )}
                  </span>
                </td>
                <td className="live-number">
                  <FigureButton
                    value={openAssigned}
                    name={`${user.name}: ${openAssigned} open assigned`}
                    onOpen={() => onDrill({ title: `Open · assigned to ${user.name}`, assigneeId: user.id })}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
