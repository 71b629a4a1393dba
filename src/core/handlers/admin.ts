import { z } from 'zod'
import { AdminDirectory } from '../../shared/admin'
import { User } from '../../shared/domain'
import type { IpcHandlers } from '../../shared/ipc'
import { ApiTokenInfo, IntegrationInfo } from '../../shared/tokens'
import { AuditPage, type AuditFilter } from '../../shared/audit'
import type { HandlerContext } from './context'
import { saveDownload } from './downloads'
import { serverRest } from './server-rest'

const Items = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) })
const CreatedIntegration = z.object({ integration: IntegrationInfo, token: z.string() })

/** An audit listing's filters as the REST query string. */
const auditQuery = (filter: AuditFilter & { limit?: number; after?: string }): string =>
  new URLSearchParams(Object.entries(filter).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : [[k, String(v)]]))).toString()

/** The whole log can be long; a server that stops sending is given up on. */
const AUDIT_EXPORT_TIMEOUT_MS = 10 * 60_000

type AdminMethods = Extract<keyof IpcHandlers, `admin.${string}`>

/**
 * Administration is online only: each call goes to the server's REST API with this device's
 * token, and the server decides (a refusal comes back in its own words, e.g. the last admin).
 */
export function adminHandlers(ctx: HandlerContext): Pick<IpcHandlers, AdminMethods> {
  const server = serverRest(ctx, 'administration')
  const done = { ok: true as const }

  return {
    'admin.users': async () => (await server('GET', '/users', Items(User))).items,
    'admin.directory': () => server('GET', '/admin/directory', AdminDirectory),
    'admin.createUser': (user) => server('POST', '/users', User, user),
    'admin.updateUser': ({ userId, change }) => server('PATCH', `/users/${encodeURIComponent(userId)}`, User, change),
    'admin.setActive': ({ userId, active }) =>
      server('POST', `/users/${encodeURIComponent(userId)}/${active ? 'reactivate' : 'deactivate'}`, User),
    'admin.tokens': async ({ email }) =>
      (await server('GET', `/tokens${email ? `?email=${encodeURIComponent(email)}` : ''}`, Items(ApiTokenInfo))).items,
    'admin.revokeToken': async ({ tokenId }) => {
      await server('DELETE', `/tokens/${encodeURIComponent(tokenId)}`, z.null())
      return done
    },
    'admin.integrations': async () => (await server('GET', '/integrations', Items(IntegrationInfo))).items,
    'admin.createIntegration': (integration) => server('POST', '/integrations', CreatedIntegration, integration),
    'admin.revokeIntegration': async ({ integrationId }) => {
      await server('DELETE', `/integrations/${encodeURIComponent(integrationId)}`, z.null())
      return done
    },
    'admin.audit': (query) => server('GET', `/audit?${auditQuery(query)}`, AuditPage),
    'admin.auditExport': (filter) =>
      saveDownload(ctx, `/audit/export?${auditQuery(filter)}`, {
        fallbackName: 'threadline-audit-log.csv',
        what: 'exporting the audit log',
        timeoutMs: AUDIT_EXPORT_TIMEOUT_MS,
      }),
  }
}
