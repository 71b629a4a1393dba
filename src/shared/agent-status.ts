import { z } from 'zod'
import { AGENT_STATUSES } from './domain-values'
import { Id, Timestamp } from './primitives'

/**
 * Whether an agent is at work, as supervisors see it on the live queues: online (a client of
 * theirs is connected and in use), away (connected, but nobody has used it for a while), or
 * offline (no client connected), each since when.
 */
export { AGENT_STATUSES }
export const AgentStatusName = z.enum(AGENT_STATUSES)
export type AgentStatusName = z.infer<typeof AgentStatusName>

export const AgentStatus = z.object({ userId: Id, status: AgentStatusName, since: Timestamp })
export type AgentStatus = z.infer<typeof AgentStatus>
