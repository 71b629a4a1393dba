import { infiniteQueryOptions, useInfiniteQuery, useQueryClient } from '@tanstack/react-query'
import { useCallback } from 'react'
import type { ThreadlineApi, TimelineItem, TimelinePage } from '../../../../shared/ipc'
import { useApi } from '../../api/context'
import { customerQuery, queryKeys } from '../../api/queries'

const TIMELINE_PAGE = 100

type Cursor = NonNullable<TimelinePage['before']>
type PageParam = { before: Cursor } | { after: Cursor } | null

const timelineQuery = (api: ThreadlineApi, customerId: string, until: number | null) =>
  infiniteQueryOptions({
    queryKey: [...queryKeys.timeline(customerId), until ?? 'latest'],
    queryFn: ({ pageParam }: { pageParam: PageParam }) =>
      api.call('customer.timeline', {
        customerId,
        limit: TIMELINE_PAGE,
        ...(pageParam ?? (until !== null ? { until } : {})),
      }),
    initialPageParam: null as PageParam,
    getNextPageParam: (page): PageParam => (page.before ? { before: page.before } : null),
    getPreviousPageParam: (page): PageParam => (page.after ? { after: page.after } : null),
  })

/**
 * Starts loading a customer's profile and latest timeline page: called as the agent opens the
 * customer, so the core is answering while React renders the selection.
 */
export function usePrefetchCustomer(): (customerId: string) => void {
  const api = useApi()
  const client = useQueryClient()
  return useCallback(
    (customerId) => {
      void client.prefetchQuery(customerQuery(api, customerId))
      void client.prefetchInfiniteQuery(timelineQuery(api, customerId, null))
    },
    [api, client],
  )
}

/**
 * A customer's timeline in keyset pages, oldest first: the latest page, or the page ending
 * at `until` (jump to date). Older pages load as "next", newer ones (after a jump) as
 * "previous". Keyed under the customer's timeline key, so every change to the customer refetches it.
 */
export function useTimelinePages(customerId: string, until: number | null) {
  const query = useInfiniteQuery(timelineQuery(useApi(), customerId, until))
  const items: TimelineItem[] = []
  const seen = new Set<string>()
  for (const page of query.data?.pages ?? []) {
    for (const item of page.items) {
      const key = `${item.kind}:${item.item.id}`
      if (seen.has(key)) continue
      seen.add(key)
      items.push(item)
    }
  }
  items.sort((a, b) => a.at - b.at || (a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : 0))
  return { ...query, items }
}
