import { useMutation, useQuery, useQueryClient, type InfiniteData, type QueryClient } from '@tanstack/react-query'
import { useCallback, useEffect } from 'react'
import type { EntityName } from '../../../../shared/domain'
import type { CustomerSummaries, IpcEvents, ThreadlineApi, TimelinePage } from '../../../../shared/ipc'
import { useApi } from '../../api/context'
import { queryKeys } from '../../api/queries'

export const summaryKeys = {
  all: ['summaries'] as const,
  ofCustomer: (customerId: string) => ['summaries', 'customer', customerId] as const,
  /** Where the items a summary cites sit in the timeline: item id → its time, null when not in this cache. */
  sources: (customerId: string) => ['summaries', 'sources', customerId] as const,
  usage: ['summaries', 'usage'] as const,
}

/**
 * Today's use of the summary model, for supervisors (the server refuses agents); online only,
 * so a refusal or no connection shows nothing rather than an error.
 */
export function useModelUsage(enabled: boolean) {
  const api = useApi()
  return useQuery({
    queryKey: summaryKeys.usage,
    queryFn: () => api.call('summaries.usage', {}),
    enabled,
    staleTime: 60_000,
    retry: false,
  })
}

/** A story's staleness counts the customer's items: any new one, or a new summary, refetches it. */
const STORY_INPUTS: EntityName[] = ['summary', 'message', 'note', 'call', 'conversation', 'customer']

function refreshFor(client: QueryClient, change: IpcEvents['data.changed']): void {
  const touches = change.entities.some((e) => STORY_INPUTS.includes(e))
  if (!touches) return
  // No customer named (a sign-in, a cache reset): everything may have changed.
  if (change.customerIds.length === 0) {
    void client.invalidateQueries({ queryKey: summaryKeys.all })
    if (change.entities.includes('summary')) void client.invalidateQueries({ queryKey: ['timeline'] })
    return
  }
  for (const customerId of change.customerIds) {
    void client.invalidateQueries({ queryKey: summaryKeys.ofCustomer(customerId) })
    // Wrap-ups and call summaries are timeline items, which the app's own refresh does not know of.
    if (change.entities.includes('summary')) void client.invalidateQueries({ queryKey: queryKeys.timeline(customerId) })
    // An item that was not in the cache when a fact was looked up may have arrived since.
    void client.invalidateQueries({ queryKey: summaryKeys.sources(customerId), predicate: (q) => hasMissing(q.state.data) })
  }
}

const hasMissing = (data: unknown): boolean => data instanceof Map && [...(data as Map<string, number | null>).values()].includes(null)

/**
 * A customer's story and this agent's regeneration of it, kept fresh by the core's change events.
 * Asked for once the timeline's first page has answered (`enabled`): the core answers one call at
 * a time, and writing a missing story there must not hold up the timeline's first paint.
 */
export function useCustomerSummaries(customerId: string, enabled: boolean) {
  const api = useApi()
  const client = useQueryClient()
  const query = useQuery({
    queryKey: summaryKeys.ofCustomer(customerId),
    queryFn: () => api.call('summaries.ofCustomer', { customerId }),
    enabled,
  })
  const waiting = query.data?.regenerating != null
  useEffect(() => {
    const offChanged = api.on('data.changed', (change) => refreshFor(client, change))
    return offChanged
  }, [api, client])
  // A regeneration ends when the server answers it, which the sync state reports (its pending count).
  useEffect(() => {
    if (!waiting) return
    return api.on('sync.state', () => void client.invalidateQueries({ queryKey: summaryKeys.ofCustomer(customerId) }))
  }, [api, client, customerId, waiting])
  return query
}

/** A regeneration queued, written on this device or dropped: the story, the sync counts and the outbox move. */
function afterRegeneration(client: QueryClient, customerId: string): void {
  void client.invalidateQueries({ queryKey: summaryKeys.ofCustomer(customerId) })
  void client.invalidateQueries({ queryKey: queryKeys.sync })
  void client.invalidateQueries({ queryKey: queryKeys.outboxAll })
}

export function useRegenerateSummary(customerId: string) {
  const api = useApi()
  const client = useQueryClient()
  return useMutation({
    mutationFn: () => api.call('summaries.regenerate', { customerId }),
    onSettled: () => afterRegeneration(client, customerId),
  })
}

/** Drops a refused regeneration from the outbox, and its message from the card. */
export function useDismissRegeneration(customerId: string) {
  const api = useApi()
  const client = useQueryClient()
  return useMutation({
    mutationFn: (mutationId: number) => api.call('outbox.discard', { mutationId }),
    onSettled: () => afterRegeneration(client, customerId),
  })
}

export function useRateSummary(customerId: string) {
  const api = useApi()
  const client = useQueryClient()
  const key = summaryKeys.ofCustomer(customerId)
  return useMutation({
    mutationFn: (args: { summaryId: string; generatedAt: number; rating: 'up' | 'down' }) => api.call('summaries.rate', args),
    // The thumb shows pressed at once; the core's answer (or a refusal) settles it.
    onMutate: async (args) => {
      await client.cancelQueries({ queryKey: key })
      const before = client.getQueryData<CustomerSummaries>(key)
      client.setQueryData<CustomerSummaries>(key, (data) =>
        data?.story?.id === args.summaryId && data.story.generatedAt === args.generatedAt ? { ...data, story: { ...data.story, myRating: args.rating } } : data,
      )
      return { before }
    },
    onError: (_error, _args, context) => {
      if (context?.before) client.setQueryData(key, context.before)
    },
    onSettled: () => void client.invalidateQueries({ queryKey: key }),
  })
}

/** Items of the timeline pages already loaded (any jump-to-date variant), by id: no call to the core. */
function loadedTimes(client: QueryClient, customerId: string, wanted: ReadonlySet<string>, into: Map<string, number | null>): void {
  for (const [, data] of client.getQueriesData<InfiniteData<TimelinePage>>({ queryKey: queryKeys.timeline(customerId) })) {
    for (const page of data?.pages ?? []) {
      for (const entry of page.items) if (wanted.has(entry.item.id)) into.set(entry.item.id, entry.at)
    }
  }
}

/** Pages read from the newest back while some cited item is still not found. */
const LOOKUP_PAGE = 1_000

/**
 * When each cited item happened, so a chip can open the timeline at it. The loaded timeline
 * pages answer first; the rest are found by reading the customer's timeline back from the latest
 * in large pages (the core reads them through its (customer, at, id) index) until each is found
 * or the history ends. An id not found is not in this agent's cache (an inbox they may not see,
 * an erased message): null, and its chip shows no link.
 */
export async function locateItems(api: ThreadlineApi, client: QueryClient, customerId: string, ids: readonly string[]): Promise<Map<string, number | null>> {
  const known = client.getQueryData<Map<string, number | null>>(summaryKeys.sources(customerId))
  const found = new Map<string, number | null>()
  for (const id of ids) if (known?.get(id) != null) found.set(id, known.get(id) ?? null)
  let missing = new Set(ids.filter((id) => !found.has(id)))
  if (missing.size > 0) loadedTimes(client, customerId, missing, found)
  missing = new Set([...missing].filter((id) => !found.has(id)))
  let before: TimelinePage['before'] | undefined
  while (missing.size > 0) {
    const page: TimelinePage = await api.call('customer.timeline', { customerId, limit: LOOKUP_PAGE, ...(before ? { before } : {}) })
    for (const entry of page.items) {
      if (!missing.has(entry.item.id)) continue
      found.set(entry.item.id, entry.at)
      missing.delete(entry.item.id)
    }
    if (!page.before) break
    before = page.before
  }
  for (const id of missing) found.set(id, null)
  return found
}

/**
 * The times of a summary's cited items, looked up once the timeline's first page is in (so it
 * answers most of them, and the lookup never delays that page). Results build up per customer.
 */
export function useSourceTimes(customerId: string, ids: readonly string[], enabled: boolean) {
  const api = useApi()
  const client = useQueryClient()
  const key = summaryKeys.sources(customerId)
  const idsKey = [...new Set(ids)].sort().join(',')
  const query = useQuery({
    queryKey: [...key, idsKey],
    queryFn: async () => {
      const located = await locateItems(api, client, customerId, idsKey ? idsKey.split(',') : [])
      client.setQueryData<Map<string, number | null>>(key, (all) => new Map([...(all ?? []), ...located]))
      return located
    },
    enabled: enabled && idsKey.length > 0,
    staleTime: Infinity,
  })
  /** The time of one item, looked up now if it was not yet (a chip clicked before the lookup ended). */
  const locate = useCallback(
    async (id: string): Promise<number | null> => {
      const cached = query.data?.get(id)
      if (cached !== undefined) return cached
      const located = await locateItems(api, client, customerId, [id])
      return located.get(id) ?? null
    },
    [api, client, customerId, query.data],
  )
  return { times: query.data, locate }
}
