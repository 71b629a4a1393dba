import { keepPreviousData, useMutation, useQuery, useQueryClient, type InfiniteData } from '@tanstack/react-query'
import { useEffect } from 'react'
import type { EntityName } from '../../../../../shared/domain'
import type { ConversationListItem, IpcArgs } from '../../../../../shared/ipc'
import type { ReportQuery } from '../../../../../shared/reporting/report-query'
import { useApi } from '../../../api/context'
import { queryKeys } from '../../../api/queries'
import { useSavedViews } from '../../views/queries'

const reportKeys = {
  all: ['reports', 'range'] as const,
  report: (query: ReportQuery) => [...reportKeys.all, 'figures', query] as const,
  drill: (args: IpcArgs<'reports.drill'>) => [...reportKeys.all, 'drill', args] as const,
}

/** What a drill-down row shows besides the measures: a customer renamed or a conversation resolved since changes it. */
const DRILL_ENTITIES: readonly EntityName[] = ['reportingEvent', 'conversation', 'customer']

/**
 * Figures follow the cache: a synced batch with reporting events in it refetches the report,
 * the way useLiveUpdates refetches the inbox.
 */
export function useReportLiveUpdates(): void {
  const api = useApi()
  const client = useQueryClient()
  useEffect(
    () =>
      api.on('data.changed', ({ entities }) => {
        if (entities.includes('reportingEvent')) void client.invalidateQueries({ queryKey: reportKeys.all })
        else if (entities.some((e) => DRILL_ENTITIES.includes(e))) void client.invalidateQueries({ queryKey: [...reportKeys.all, 'drill'] })
      }),
    [api, client],
  )
}

export function useReport(query: ReportQuery | null) {
  const api = useApi()
  return useQuery({
    queryKey: query ? reportKeys.report(query) : [...reportKeys.all, 'none'],
    queryFn: () => api.call('reports.report', query!),
    enabled: query !== null,
    // Another range or filter keeps the figures on screen until the new ones arrive, instead of flashing empty.
    placeholderData: keepPreviousData,
  })
}

/** A page of a figure's conversations; the page on screen stays while the next is read. */
export function useReportDrill(args: IpcArgs<'reports.drill'>) {
  const api = useApi()
  return useQuery({ queryKey: reportKeys.drill(args), queryFn: () => api.call('reports.drill', args), placeholderData: keepPreviousData })
}

export function useExportReportCsv() {
  const api = useApi()
  return useMutation({ mutationFn: (args: { query: ReportQuery; key: string }) => api.call('reports.exportCsv', args) })
}

/** Conversations of inbox pages already loaded: what this device has seen without asking for more. */
function useLoadedConversations(): ConversationListItem[] {
  const client = useQueryClient()
  const lists = client.getQueriesData<InfiniteData<ConversationListItem[]>>({ queryKey: [...queryKeys.inboxAll, 'list'] })
  return lists.flatMap(([, data]) => data?.pages.flat() ?? [])
}

const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort((a, b) => a.localeCompare(b))

/** The inboxes the server describes, and those of conversations already loaded (an inbox fed by an integration has no settings). */
export function useInboxNames(): string[] {
  const api = useApi()
  const settings = useQuery({ queryKey: queryKeys.inboxSettings, queryFn: () => api.call('inbox.settings', {}), staleTime: 60_000 })
  const loaded = useLoadedConversations()
  return sorted([...(settings.data ?? []).map((i) => i.name), ...loaded.map((c) => c.inbox)])
}

/**
 * Labels this device has seen: in saved views' filters and on conversations already loaded. No
 * list of every label exists; a label not seen yet can still be typed in.
 */
export function useKnownLabels(): string[] {
  const views = useSavedViews().data ?? []
  const loaded = useLoadedConversations()
  return sorted([...views.flatMap((v) => v.filters.labels ?? []), ...loaded.flatMap((c) => c.labels)])
}
