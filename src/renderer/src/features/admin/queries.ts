import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { AuditFilter } from '../../../../shared/audit'
import type { IpcArgs, IpcMethod } from '../../../../shared/ipc'
import { useApi } from '../../api/context'
import { queryKeys } from '../../api/queries'

/** Administration reads straight from the server (online only), so nothing here is cached past the screen. */
const adminKeys = {
  all: ['admin'] as const,
  users: ['admin', 'users'] as const,
  directory: ['admin', 'directory'] as const,
  tokens: (email: string) => ['admin', 'tokens', email] as const,
  integrations: ['admin', 'integrations'] as const,
  audit: (filter: AuditFilter) => ['admin', 'audit', filter] as const,
}

export function useAdminUsers() {
  const api = useApi()
  return useQuery({ queryKey: adminKeys.users, queryFn: () => api.call('admin.users', {}) })
}

export function useAdminDirectory() {
  const api = useApi()
  return useQuery({ queryKey: adminKeys.directory, queryFn: () => api.call('admin.directory', {}) })
}

export function useUserTokens(email: string) {
  const api = useApi()
  return useQuery({ queryKey: adminKeys.tokens(email), queryFn: () => api.call('admin.tokens', { email }) })
}

export function useIntegrations() {
  const api = useApi()
  return useQuery({ queryKey: adminKeys.integrations, queryFn: () => api.call('admin.integrations', {}) })
}

const AUDIT_PAGE = 100

/** The audit log's entries matching `filter`, newest first, a page at a time; under the admin keys, so every admin change reads it again. */
export function useAuditLog(filter: AuditFilter) {
  const api = useApi()
  return useInfiniteQuery({
    queryKey: adminKeys.audit(filter),
    queryFn: ({ pageParam }) => api.call('admin.audit', { ...filter, limit: AUDIT_PAGE, ...(pageParam ? { after: pageParam } : {}) }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next,
  })
}

type AdminChange = Extract<
  IpcMethod,
  'admin.createUser' | 'admin.updateUser' | 'admin.setActive' | 'admin.revokeToken' | 'admin.createIntegration' | 'admin.revokeIntegration'
>

/** Any administrative change; afterwards every admin list is read again, and so is the shared users list the inbox shows. */
export function useAdminChange<M extends AdminChange>(method: M) {
  const api = useApi()
  const client = useQueryClient()
  return useMutation({
    mutationFn: (args: IpcArgs<M>) => api.call(method, args),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: adminKeys.all })
      void client.invalidateQueries({ queryKey: queryKeys.users })
    },
  })
}
