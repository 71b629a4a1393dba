import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'
import type { IpcArgs } from '../../../../shared/ipc'
import { useApi } from '../../api/context'
import { queryKeys } from '../../api/queries'

/**
 * Under the inbox's key, so every change that refreshes the inbox counts (conversations, and the
 * outbox settling, which is when a refusal arrives) refreshes the views and their counts too.
 */
const VIEWS = [...queryKeys.inboxAll, 'saved-views'] as const
const VIEW_COUNTS = [...queryKeys.inboxAll, 'saved-view-counts'] as const

function refreshViews(client: QueryClient): void {
  void client.invalidateQueries({ queryKey: VIEWS })
  void client.invalidateQueries({ queryKey: VIEW_COUNTS })
}

/** The agent's saved views and those shared with their team; a view synced from elsewhere shows at once. */
export function useSavedViews() {
  const api = useApi()
  const client = useQueryClient()
  useEffect(
    () =>
      api.on('data.changed', (change) => {
        if (change.entities.includes('savedView')) refreshViews(client)
      }),
    [api, client],
  )
  return useQuery({ queryKey: VIEWS, queryFn: () => api.call('views.list', {}) })
}

/** How many conversations each view matches, by view id. */
export function useSavedViewCounts() {
  const api = useApi()
  return useQuery({ queryKey: VIEW_COUNTS, queryFn: () => api.call('views.counts', {}), placeholderData: (previous) => previous })
}

export function useSaveView() {
  const api = useApi()
  const client = useQueryClient()
  return useMutation({
    mutationFn: (args: IpcArgs<'views.save'>) => api.call('views.save', args),
    onSettled: () => refreshViews(client),
  })
}

export function useDeleteView() {
  const api = useApi()
  const client = useQueryClient()
  return useMutation({
    mutationFn: (viewId: string) => api.call('views.delete', { viewId }),
    onSettled: () => refreshViews(client),
  })
}

/** Drops a refused save or delete: the view goes back to what the server holds. */
export function useDiscardViewChange() {
  const api = useApi()
  const client = useQueryClient()
  return useMutation({
    mutationFn: (mutationId: number) => api.call('outbox.discard', { mutationId }),
    onSettled: () => refreshViews(client),
  })
}
