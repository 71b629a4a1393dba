import { infiniteQueryOptions, queryOptions, useInfiniteQuery, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'
import type { Channel, Conversation, ConversationStatus, EntityName } from '../../../shared/domain'
import { SEARCH_TEXT_MAX } from '../../../shared/domain-values'
import type { ConversationListItem, CustomerProfile, InboxSort, InboxView, IpcArgs, IpcEvents, SyncState, ThreadlineApi } from '../../../shared/ipc'
import { slaUnmetDueAt } from '../../../shared/reporting/sla-due'
import { useApi } from './context'

/** Every query the UI holds, keyed so a `data.changed` event can name what it touches. */
export const queryKeys = {
  session: ['session'] as const,
  users: ['users'] as const,
  inboxSettings: ['inbox-settings'] as const,
  sync: ['sync'] as const,
  inboxAll: ['inbox'] as const,
  inbox: (filter: InboxFilter) => ['inbox', 'list', filter] as const,
  inboxCounts: (status: ConversationStatus | null) => ['inbox', 'counts', status ?? 'any'] as const,
  customer: (customerId: string) => ['customer', customerId] as const,
  timeline: (customerId: string) => ['timeline', customerId] as const,
  searchAll: ['search'] as const,
  outboxAll: ['outbox'] as const,
  outbox: (conversationId: string) => ['outbox', conversationId] as const,
  search: (args: IpcArgs<'search.query'>) => ['search', args] as const,
}

const sessionQuery = (api: ThreadlineApi) =>
  queryOptions({ queryKey: queryKeys.session, queryFn: () => api.call('session.get', {}), staleTime: Infinity })

export function useSession() {
  return useQuery(sessionQuery(useApi()))
}

export function useUsers() {
  const api = useApi()
  return useQuery({ queryKey: queryKeys.users, queryFn: () => api.call('users.list', {}) })
}

/** What the inbox shows: one scope (a view, or a team, or a channel), a status, an order. */
export interface InboxFilter {
  view: InboxView
  team: string | null
  channel: Channel | null
  status: ConversationStatus | null
  sort: InboxSort
  /** A saved view the list shows instead of a scope (its filters, narrowed by the status above). */
  savedView?: string | null
}

const INBOX_PAGE = 200
/** Mirrors the core's wait order for a conversation nobody waits on, and its due order for one with nothing due. */
const NOT_WAITING = Number.MAX_SAFE_INTEGER

function sortKey(item: ConversationListItem, sort: InboxSort): number {
  if (sort === 'due') return (item.status === 'resolved' ? null : slaUnmetDueAt(item.sla)) ?? NOT_WAITING
  return sort === 'waiting' ? (item.waitingSince ?? NOT_WAITING) : item.lastMessageAt
}

/** The inbox a session opens on. */
export const INITIAL_FILTER: InboxFilter = { view: 'all', team: null, channel: null, status: 'open', sort: 'activity' }

/** The inbox in pages of 200, each continuing after the last row of the one before. */
const inboxQuery = (api: ThreadlineApi, filter: InboxFilter) =>
  infiniteQueryOptions({
    queryKey: queryKeys.inbox(filter),
    queryFn: ({ pageParam }) =>
      api.call('inbox.list', {
        view: filter.view,
        sort: filter.sort,
        limit: INBOX_PAGE,
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.team ? { team: filter.team } : {}),
        ...(filter.channel ? { channel: filter.channel } : {}),
        ...(filter.savedView ? { savedView: filter.savedView } : {}),
        ...(pageParam ? { after: pageParam } : {}),
      }),
    initialPageParam: null as IpcArgs<'inbox.list'>['after'] | null,
    getNextPageParam: (page) => {
      const last = page.at(-1)
      if (page.length !== INBOX_PAGE || !last) return null
      return { key: sortKey(last, filter.sort), id: last.id, ...(filter.sort === 'priority' ? { priority: last.priority } : {}) }
    },
  })

export function useInbox(filter: InboxFilter) {
  const query = useInfiniteQuery({ ...inboxQuery(useApi(), filter), placeholderData: (previous) => previous })
  const items = query.data?.pages.flat() ?? []
  return { ...query, items }
}

/** Searches the local cache: answers the same online and offline. */
export function useSearch(typed: IpcArgs<'search.query'> | null) {
  const api = useApi()
  // Pasted text longer than a search may be is searched by its start, wherever it was typed.
  const args = typed && { ...typed, text: typed.text.trim().slice(0, SEARCH_TEXT_MAX) }
  return useQuery({
    queryKey: queryKeys.search(args ?? { text: '' }),
    queryFn: () => api.call('search.query', args ?? { text: '' }),
    enabled: args !== null && args.text.length > 0,
    placeholderData: (previous) => previous,
    staleTime: 5_000,
  })
}

const inboxCountsQuery = (api: ThreadlineApi, status: ConversationStatus | null) =>
  queryOptions({ queryKey: queryKeys.inboxCounts(status), queryFn: () => api.call('inbox.counts', status ? { status } : {}) })

export function useInboxCounts(status: ConversationStatus | null) {
  return useQuery({ ...inboxCountsQuery(useApi(), status), placeholderData: (previous) => previous })
}

/**
 * Asks the core for the first screen as soon as the page runs, alongside the session check,
 * instead of after the workspace has mounted: the inbox, its counts and the signed-in agent.
 * Signed out, these fail quietly and are dropped when the agent signs in.
 */
export function prefetchFirstScreen(client: QueryClient, api: ThreadlineApi): void {
  void client.prefetchInfiniteQuery(inboxQuery(api, INITIAL_FILTER))
  void client.prefetchQuery(inboxCountsQuery(api, INITIAL_FILTER.status))
  void client.prefetchQuery(inboxCountsQuery(api, null))
  void client.prefetchQuery(sessionQuery(api))
}

export function useMarkRead() {
  const api = useApi()
  return useMutation({
    mutationFn: (args: { conversationId: string; unread?: boolean }) =>
      api.call(args.unread ? 'conversation.markUnread' : 'conversation.markRead', { conversationId: args.conversationId }),
  })
}

export const customerQuery = (api: ThreadlineApi, customerId: string) =>
  queryOptions({ queryKey: queryKeys.customer(customerId), queryFn: () => api.call('customer.get', { customerId }) })

export function useCustomer(customerId: string | null) {
  return useQuery({ ...customerQuery(useApi(), customerId ?? ''), enabled: customerId !== null })
}

export function useSyncState() {
  const api = useApi()
  return useQuery({ queryKey: queryKeys.sync, queryFn: () => api.call('sync.state', {}) })
}

/** Refetches what a core change touched; a pushed sync state replaces the cached one. */
export function invalidateFor(client: QueryClient, change: IpcEvents['data.changed']): void {
  const entities = new Set<EntityName>(change.entities)
  const listChanged = ['conversation', 'message', 'customer', 'user', 'note'].some((e) => entities.has(e as EntityName))
  if (listChanged) void client.invalidateQueries({ queryKey: queryKeys.inboxAll })
  if (listChanged) void client.invalidateQueries({ queryKey: queryKeys.searchAll })
  void client.invalidateQueries({ queryKey: queryKeys.outboxAll })
  if (entities.has('user')) void client.invalidateQueries({ queryKey: queryKeys.users })
  // The server describes the inboxes together with the signed-in user.
  if (entities.has('user')) void client.invalidateQueries({ queryKey: queryKeys.inboxSettings })
  const timelineChanged = ['message', 'note', 'call', 'event', 'conversation'].some((e) => entities.has(e as EntityName))
  const profileChanged = ['customer', 'identity', 'conversation'].some((e) => entities.has(e as EntityName))
  for (const customerId of change.customerIds) {
    if (timelineChanged) void client.invalidateQueries({ queryKey: queryKeys.timeline(customerId) })
    if (profileChanged) void client.invalidateQueries({ queryKey: queryKeys.customer(customerId) })
  }
}

export function useLiveUpdates(): void {
  const api = useApi()
  const client = useQueryClient()
  useEffect(() => {
    const offChanged = api.on('data.changed', (change) => invalidateFor(client, change))
    const offSync = api.on('sync.state', (state: SyncState) => {
      const before = client.getQueryData<SyncState>(queryKeys.sync)
      client.setQueryData(queryKeys.sync, state)
      // An acknowledged or refused action changes the counts: the outbox lists follow.
      if (!before || before.pending !== state.pending || before.failed !== state.failed) {
        void client.invalidateQueries({ queryKey: queryKeys.outboxAll })
      }
    })
    return () => {
      offChanged()
      offSync()
    }
  }, [api, client])
}

/** Agent actions: the core has written them to its outbox and cache when the call returns. */
function useAction<
  M extends
    | 'conversation.reply'
    | 'conversation.start'
    | 'conversation.note'
    | 'conversation.assign'
    | 'conversation.setStatus'
    | 'conversation.label'
    | 'call.log'
    | 'call.addNote'
    | 'conversation.moveItems'
    | 'conversation.split'
    | 'conversation.undoMove',
>(
  method: M,
  customerId: string | null,
  /** What the action changes on its conversation, shown before the core answers. */
  optimistic?: (args: IpcArgs<M>) => { conversationId: string; patch: Partial<Conversation> },
) {
  const api = useApi()
  const client = useQueryClient()
  return useMutation({
    mutationFn: (args: IpcArgs<M>) => api.call(method, args),
    // Triage must answer within a frame; the refetches after the core's answer can take longer
    // on a large cache, so the open customer's conversation is patched right away.
    onMutate: async (args: IpcArgs<M>) => {
      if (!optimistic || !customerId) return
      const { conversationId, patch } = optimistic(args)
      await client.cancelQueries({ queryKey: queryKeys.customer(customerId) })
      client.setQueryData<CustomerProfile | null>(queryKeys.customer(customerId), (profile) =>
        profile ? { ...profile, conversations: profile.conversations.map((c) => (c.id === conversationId ? { ...c, ...patch } : c)) } : profile,
      )
    },
    onSettled: () => {
      void client.invalidateQueries({ queryKey: queryKeys.inboxAll })
      void client.invalidateQueries({ queryKey: queryKeys.sync })
      void client.invalidateQueries({ queryKey: queryKeys.outboxAll })
      if (customerId) {
        void client.invalidateQueries({ queryKey: queryKeys.timeline(customerId) })
        void client.invalidateQueries({ queryKey: queryKeys.customer(customerId) })
      }
    },
  })
}

export const useReply = (customerId: string | null) => useAction('conversation.reply', customerId)
export const useNote = (customerId: string | null) => useAction('conversation.note', customerId)
export const useStartConversation = (customerId: string | null) => useAction('conversation.start', customerId)
export const useLogCall = (customerId: string | null) => useAction('call.log', customerId)
export const useCallNote = (customerId: string | null) => useAction('call.addNote', customerId)
export const useAssign = (customerId: string | null) =>
  useAction('conversation.assign', customerId, ({ conversationId, assigneeId, team }) => ({
    conversationId,
    patch: { assigneeId, ...(team !== undefined ? { team } : {}) },
  }))
export const useSetStatus = (customerId: string | null) =>
  useAction('conversation.setStatus', customerId, ({ conversationId, status, snoozedUntil }) => ({
    conversationId,
    patch: { status, snoozedUntil: status === 'snoozed' ? (snoozedUntil ?? null) : null },
  }))
export const useLabel = (customerId: string | null) => useAction('conversation.label', customerId)
export const useMoveItems = (customerId: string | null) => useAction('conversation.moveItems', customerId)
export const useSplit = (customerId: string | null) => useAction('conversation.split', customerId)
export const useUndoMove = (customerId: string | null) => useAction('conversation.undoMove', customerId)

/** Actions on one conversation still waiting for the server, or refused by it. */
export function useOutbox(conversationId: string | null) {
  const api = useApi()
  return useQuery({
    queryKey: queryKeys.outbox(conversationId ?? ''),
    queryFn: async () => (await api.call('outbox.list', {})).filter((e) => e.conversationId === conversationId),
    enabled: conversationId !== null,
  })
}

export function useOutboxAction(kind: 'outbox.retry' | 'outbox.discard', customerId: string) {
  const api = useApi()
  const client = useQueryClient()
  return useMutation({
    mutationFn: (mutationId: number) => api.call(kind, { mutationId }),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: queryKeys.outboxAll })
      void client.invalidateQueries({ queryKey: queryKeys.inboxAll })
      void client.invalidateQueries({ queryKey: queryKeys.timeline(customerId) })
      void client.invalidateQueries({ queryKey: queryKeys.sync })
    },
  })
}
