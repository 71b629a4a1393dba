import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'
import { useApi } from '../../api/context'

const MENTIONS = ['mentions'] as const

/** Notes naming the signed-in agent and how many are unread; refreshed by any synced or written note. */
export function useMentions() {
  const api = useApi()
  const client = useQueryClient()
  useEffect(() => {
    const refresh = () => void client.invalidateQueries({ queryKey: MENTIONS })
    const offChanged = api.on('data.changed', (change) => {
      if (change.entities.includes('note')) refresh()
    })
    const offArrived = api.on('mentions.arrived', refresh)
    return () => {
      offChanged()
      offArrived()
    }
  }, [api, client])
  return useQuery({ queryKey: MENTIONS, queryFn: () => api.call('mentions.list', {}) })
}

/** Marks mentions read on this device: some notes, or every one. */
export function useMarkMentionsRead() {
  const api = useApi()
  const client = useQueryClient()
  return useMutation({
    mutationFn: (noteIds: string[] | undefined) => api.call('mentions.markRead', noteIds ? { noteIds } : {}),
    onSettled: () => void client.invalidateQueries({ queryKey: MENTIONS }),
  })
}
