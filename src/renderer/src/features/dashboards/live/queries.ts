import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'
import type { IpcArgs } from '../../../../../shared/ipc'
import type { LiveFigure } from '../../../../../shared/reporting/live-queues'
import { useApi } from '../../../api/context'

const liveKeys = {
  all: ['dashboards', 'live'] as const,
  queues: ['dashboards', 'live', 'queues'] as const,
  figures: ['dashboards', 'live', 'figure'] as const,
  figure: (args: LiveFigureArgs) => ['dashboards', 'live', 'figure', args] as const,
}

const SLA_CLOCK_REFRESH_MS = 30_000

/** Every open conversation: an agent's share of them is what they hold. */
export const OPEN_CONVERSATIONS: LiveFigure = { dimension: 'all', key: '', state: 'open' }
/** The customers waiting now: its first page is who waits longest. */
export const WAITING_NOW: LiveFigure = { dimension: 'all', key: '', state: 'waiting' }

/**
 * Reads the live numbers again whenever the cache takes in a conversation or reporting-event
 * change, from the server or from this device; the lists of conversations also when a
 * customer changes, for their names. Only the queries on screen refetch.
 */
export function useLiveRefresh(): void {
  const api = useApi()
  const client = useQueryClient()
  useEffect(
    () =>
      api.on('data.changed', (change) => {
        if (change.entities.includes('conversation') || change.entities.includes('reportingEvent')) {
          void client.invalidateQueries({ queryKey: liveKeys.all })
        } else if (change.entities.includes('customer')) {
          void client.invalidateQueries({ queryKey: liveKeys.figures })
        }
      }),
    [api, client],
  )
}

export function useLiveQueues() {
  const api = useApi()
  // The numbers stay on screen while the next ones are read, so a wallboard never blanks. SLA
  // targets come within the hour by the clock alone, with nothing synced: the counts are read again
  // every half minute too.
  return useQuery({
    queryKey: liveKeys.queues,
    queryFn: () => api.call('reports.live', {}),
    placeholderData: (previous) => previous,
    refetchInterval: SLA_CLOCK_REFRESH_MS,
  })
}

type LiveFigureArgs = IpcArgs<'reports.liveDrill'>

/** A page of the conversations behind one number of the queues (or an agent's share of it); the page on screen stays while the next is read. */
export function useLiveFigure(args: LiveFigureArgs) {
  const api = useApi()
  return useQuery({
    queryKey: liveKeys.figure(args),
    queryFn: () => api.call('reports.liveDrill', args),
    placeholderData: keepPreviousData,
  })
}
