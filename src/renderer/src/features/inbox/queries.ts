import { useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query'
import type { IpcArgs } from '../../../../shared/ipc'
import { useApi } from '../../api/context'
import { queryKeys } from '../../api/queries'

/** What a change to many conversations at once touches: every list, profile and timeline shown. */
function refreshConversations(client: QueryClient): void {
  void client.invalidateQueries({ queryKey: queryKeys.inboxAll })
  void client.invalidateQueries({ queryKey: queryKeys.sync })
  void client.invalidateQueries({ queryKey: queryKeys.outboxAll })
  void client.invalidateQueries({ queryKey: ['customer'] })
  void client.invalidateQueries({ queryKey: ['timeline'] })
}

/** One action on the selected conversations; the core has queued it all when the call returns. */
export function useBulk() {
  const api = useApi()
  const client = useQueryClient()
  return useMutation({
    mutationFn: (args: IpcArgs<'conversations.bulk'>) => api.call('conversations.bulk', args),
    onSettled: () => refreshConversations(client),
  })
}

export function useBulkUndo() {
  const api = useApi()
  const client = useQueryClient()
  return useMutation({
    mutationFn: (bulkId: string) => api.call('conversations.bulkUndo', { bulkId }),
    onSettled: () => refreshConversations(client),
  })
}

export function useSetPriority() {
  const api = useApi()
  const client = useQueryClient()
  return useMutation({
    mutationFn: (args: IpcArgs<'conversation.setPriority'>) => api.call('conversation.setPriority', args),
    onSettled: () => refreshConversations(client),
  })
}
