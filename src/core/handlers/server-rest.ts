import { z } from 'zod'
import { IpcError } from '../errors'
import type { HandlerContext } from './context'

const TIMEOUT_MS = 15_000
const ErrorReply = z.object({ error: z.object({ message: z.string() }) })

const sentence = (message: string): string => `${message[0]?.toUpperCase() ?? ''}${message.slice(1)}${/[.!?]$/.test(message) ? '' : '.'}`

/**
 * A call to the server's REST API with this device's token, for what is read or done online only
 * (administration, the summary model's usage): the server decides, and a refusal comes back in
 * its own words. `what` names the need in the offline error ("administration needs a connection").
 */
export function serverRest(ctx: Pick<HandlerContext, 'token' | 'serverUrl'>, what: string) {
  return async function request<S extends z.ZodType>(method: string, path: string, schema: S, body?: unknown): Promise<z.output<S>> {
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
      throw new IpcError('internal', `Cannot reach the server (${err instanceof Error ? err.message : String(err)}): ${what} needs a connection.`)
    }
    if (!res.ok) throw await serverRefusal(res)
    const json: unknown = res.status === 204 ? null : await res.json().catch(() => null)
    const parsed = schema.safeParse(json)
    if (!parsed.success) throw new IpcError('internal', `The server's answer to ${method} ${path} was not understood.`)
    return parsed.data
  }
}

/** The server's refusal of a request (an answer that is not ok), in its own words. */
export async function serverRefusal(res: Response): Promise<IpcError> {
  const reply = ErrorReply.safeParse(await res.json().catch(() => null))
  const message = reply.success ? sentence(reply.data.error.message) : `The server answered HTTP ${res.status}.`
  return new IpcError(res.status === 404 ? 'not_found' : res.status >= 500 ? 'internal' : 'bad_request', message)
}
