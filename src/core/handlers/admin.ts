import { z } from 'zod'
import { AdminDirectory } from '../../shared/admin'
import { User } from '../../shared/domain'
import type { IpcHandlers } from '../../shared/ipc'
import { ApiTokenInfo, IntegrationInfo } from '../../shared/tokens'
import { IpcError } from '../errors'
import type { HandlerContext } from './context'

const TIMEOUT_MS = 15_000
const ErrorReply = z.object({ error: z.object({ message: z.string() }) })
const Items = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) })
const CreatedIntegration = z.object({ integration: IntegrationInfo, token: z.string() })

type AdminMethods = Extract<keyof IpcHandlers, `admin.${string}`>

const sentence = (message: string): string => `${message[0]?.toUpperCase() ?? ''}${message.slice(1)}${/[.!?]$/.test(message) ? '' : '.'}`

/**
 * Administration is online only: each call goes to the server's REST API with this device's
 * token, and the server decides (a refusal comes back in its own words, e.g. the last admin).
 */
export function adminHandlers(ctx: HandlerContext): Pick<IpcHandlers, AdminMethods> {
  async function server<S extends z.ZodType>(method: string, path: string, schema: S, body?: unknown): Promise<z.output<S>> {
    if (!ctx.token || !ctx.serverUrl) throw new IpcError('bad_request', 'Sign in to a Threadline server first.')
    let res: Response
    try {
      res = await fetch(new URL(`/api/v1${path}`, ctx.serverUrl), {
        method,
        headers: { authorization: `Bearer ${ctx.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      })
    } catch (err) {
      throw new IpcError('internal', `Cannot reach the server (${err instanceof Error ? err.message : String(err)}): administration needs a connection.`)
    }
    const json: unknown = res.status === 204 ? null : await res.json().catch(() => null)
    if (!res.ok) {
      const reply = ErrorReply.safeParse(json)
      const message = reply.success ? sentence(reply.data.error.message) : `The server answered HTTP ${res.status}.`
      throw new IpcError(res.status === 404 ? 'not_found' : res.status >= 500 ? 'internal' : 'bad_request', message)
    }
    const parsed = schema.safeParse(json)
    if (!parsed.success) throw new IpcError('internal', `The server's answer to ${method} ${path} was not understood.`)
    return parsed.data
  }
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
  }
}
