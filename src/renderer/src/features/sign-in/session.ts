import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'
import type { IpcArgs, SessionState } from '../../../../shared/ipc'
import { useApi } from '../../api/context'

const sessionStateKey = ['session-state'] as const

/** Signed in or out, kept current by the core's `session.changed` events. */
export function useSessionState() {
  const api = useApi()
  const client = useQueryClient()
  useEffect(
    () =>
      api.on('session.changed', (state) => {
        const before = client.getQueryData<SessionState>(sessionStateKey)
        // Another user, or the same one after a wiped cache: nothing cached by the UI still holds.
        if (state.status === 'signed-in' && before?.status !== 'signed-in') client.removeQueries({ predicate: (q) => q.queryKey[0] !== sessionStateKey[0] })
        client.setQueryData(sessionStateKey, state)
      }),
    [api, client],
  )
  return useQuery({ queryKey: sessionStateKey, queryFn: () => api.call('session.state', {}), staleTime: Infinity })
}

export function useSignIn() {
  const api = useApi()
  return useMutation({ mutationFn: (args: IpcArgs<'session.signIn'>) => api.call('session.signIn', args) })
}

export function useSignOut() {
  const api = useApi()
  const client = useQueryClient()
  return useMutation({
    mutationFn: () => api.call('session.signOut', {}),
    onSuccess: (state) => client.setQueryData(sessionStateKey, state),
  })
}
