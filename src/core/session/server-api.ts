import { z } from 'zod'
import type { SignInFailureReason } from '../../shared/ipc'
import { SignInResponse, type SignInRequest } from '../../shared/sessions'

/** The sync server's sign-in routes, as the core calls them, with every failure put in words. */

const TIMEOUT_MS = 10_000
const ErrorReply = z.object({ error: z.object({ code: z.string(), message: z.string() }) })
const Health = z.object({ status: z.literal('ok'), lastSeq: z.number() })

export type SignInFailure = { reason: Exclude<SignInFailureReason, 'other_users_actions'>; message: string }

/**
 * The server's base address from what a person typed: a bare host name gets https (http for
 * this machine), and only the origin is kept.
 */
export function normalizeServerUrl(input: string): string | null {
  const text = input.trim()
  if (!text) return null
  const local = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(\/|$)/i.test(text)
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `${local ? 'http' : 'https'}://${text}`
  try {
    const url = new URL(withScheme)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null
    return url.origin
  } catch {
    return null
  }
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause
  if ((err as Error).name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} seconds`
  if (cause?.code === 'ECONNREFUSED') return 'connection refused'
  if (cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN') return 'no such host'
  return cause?.message ?? (err as Error).message
}

async function isThreadline(serverUrl: string): Promise<boolean> {
  try {
    const res = await fetch(new URL('/health', serverUrl), { signal: AbortSignal.timeout(TIMEOUT_MS) })
    return res.ok && Health.safeParse(await res.json()).success
  } catch {
    return false
  }
}

export async function requestSession(serverUrl: string, request: SignInRequest): Promise<SignInResponse | SignInFailure> {
  let res: Response
  try {
    res = await fetch(new URL('/api/v1/sessions', serverUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
  } catch (err) {
    return { reason: 'unreachable', message: `Cannot reach ${serverUrl}: ${describeNetworkError(err)}. Check the address and your network.` }
  }
  const body: unknown = await res.json().catch(() => null)
  if (res.status === 201) {
    const ok = SignInResponse.safeParse(body)
    if (ok.success) return ok.data
  }
  const error = ErrorReply.safeParse(body)
  if (error.success) {
    const { message } = error.data.error
    if (res.status === 401 || res.status === 403) return { reason: 'wrong_credentials', message: `${message[0]?.toUpperCase() ?? ''}${message.slice(1)}.` }
    if (res.status === 429) return { reason: 'rate_limited', message: `${message[0]?.toUpperCase() ?? ''}${message.slice(1)}.` }
    if (res.status === 400) return { reason: 'invalid', message }
    if (res.status === 404 && (await isThreadline(serverUrl))) {
      return { reason: 'not_threadline', message: `${serverUrl} is a Threadline server too old for signing in with a password.` }
    }
  }
  return { reason: 'not_threadline', message: `${serverUrl} answered, but it is not a Threadline server (HTTP ${res.status}).` }
}

/** Revokes the token on the server; false when the server could not be told. */
export async function revokeSession(serverUrl: string, token: string): Promise<boolean> {
  try {
    const res = await fetch(new URL('/api/v1/sessions/current', serverUrl), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
    // 401: the token was already refused, so there is nothing left to revoke.
    return res.status === 204 || res.status === 401
  } catch {
    return false
  }
}
