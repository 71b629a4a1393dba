import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'
import type { LiveFigure } from '../../../../../shared/reporting/live-queues'
import { useApi } from '../../../api/context'

const liveKeys = {
  all: ['dashboards', 'live'] as const,
  queues: ['dashboards', 'live', 'queues'] as const,
  figures: ['dashboards', 'live', 'figure'] as const,
  figure: (figure: LiveFigure) => ['dashboards', 'live', 'figure', figure] as const,
}

const SLA_CLOCK_REFRESH_MS = 30_000

/** Every open conversation: who holds how many, and the customers' names for the longest waits. */
export const OPEN_CONVERSATIONS: LiveFigure = { dimension: 'all', key: '', state: 'open' }

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

/** The conversations behind one number of the queues; nothing is read while `figure` is null. */
export function useLiveFigure(figure: LiveFigure | null) {
  const api = useApi()
  return useQuery({
    queryKey: liveKeys.figure(figure ?? OPEN_CONVERSATIONS),
    queryFn: () => api.call('reports.liveDrill', figure ?? OPEN_CONVERSATIONS),
    enabled: figure !== null,
  })
}
