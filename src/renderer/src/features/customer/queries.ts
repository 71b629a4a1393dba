import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'
import type { IpcArgs, IpcResults } from '../../../../shared/ipc'
import { queryKeys } from '../../api/queries'
import { useApi } from '../../api/context'

/** The panel's own reads, under one prefix so any sync change can refresh them together. */
const PANEL = ['customer-panel'] as const
const panelKeys = {
  related: (customerId: string) => [...PANEL, 'related', customerId] as const,
  preview: (sourceId: string, targetId: string) => [...PANEL, 'preview', sourceId, targetId] as const,
  consent: (customerId: string) => [...PANEL, 'consent', customerId] as const,
}

/**
 * Suggestions and merges come from events and customer rows that any batch may touch (another
 * agent's merge, a dismissal): the panel refetches on every change. It reads a few indexed rows.
 */
export function usePanelLiveUpdates(): void {
  const api = useApi()
  const client = useQueryClient()
  useEffect(() => {
    const refresh = () => void client.invalidateQueries({ queryKey: PANEL })
    const offChanged = api.on('data.changed', refresh)
    const offSync = api.on('sync.state', refresh)
    return () => {
      offChanged()
      offSync()
    }
  }, [api, client])
}

export function useCustomerRelated(customerId: string) {
  const api = useApi()
  return useQuery({ queryKey: panelKeys.related(customerId), queryFn: () => api.call('customer.related', { customerId }) })
}

export function useMergePreview(sourceId: string | null, targetId: string | null) {
  const api = useApi()
  return useQuery({
    queryKey: panelKeys.preview(sourceId ?? '', targetId ?? ''),
    queryFn: () => api.call('customer.mergePreview', { sourceId: sourceId ?? '', targetId: targetId ?? '' }),
    enabled: sourceId !== null && targetId !== null && sourceId !== targetId,
  })
}

export function useConsentHistory(customerId: string) {
  const api = useApi()
  return useQuery({ queryKey: panelKeys.consent(customerId), queryFn: () => api.call('customer.consentHistory', { customerId }) })
}

type CustomerMethod =
  | 'customer.merge'
  | 'customer.unmerge'
  | 'customer.label'
  | 'customer.dismissSuggestion'
  | 'customer.verifyIdentity'
  | 'customer.setConsent'

/** Customer-level actions: queued in the core's outbox; the server's changes bring the result. */
export function useCustomerAction<M extends CustomerMethod>(method: M, customerIds: string[]) {
  const api = useApi()
  const client = useQueryClient()
  return useMutation<IpcResults[M], Error, IpcArgs<M>>({
    mutationFn: (args) => api.call(method, args),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: PANEL })
      void client.invalidateQueries({ queryKey: queryKeys.sync })
      void client.invalidateQueries({ queryKey: queryKeys.outboxAll })
      for (const id of customerIds) void client.invalidateQueries({ queryKey: queryKeys.customer(id) })
    },
  })
}
