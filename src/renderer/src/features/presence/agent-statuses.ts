import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'
import { useApi } from '../../api/context'

export const agentStatusesKey = ['presence', 'agents'] as const

/**
 * Every user's status (online, away or offline, and since when) as the server last told it, kept
 * current by the core's `presence.agents` events. Supervisors and admins only: an agent gets [].
 */
export function useAgentStatuses() {
  const api = useApi()
  const client = useQueryClient()
  // The event carries the whole list, so it replaces the cached one rather than causing a refetch.
  useEffect(() => api.on('presence.agents', (agents) => client.setQueryData(agentStatusesKey, agents)), [api, client])
  return useQuery({ queryKey: agentStatusesKey, queryFn: () => api.call('presence.agents', {}), staleTime: Infinity })
}
