import { z } from 'zod'

/**
 * A server and token given from outside, for scripts, tests and `npm start`. Without them the
 * core signs in with what it stored itself (session.json in its data folder, readable by the
 * owner only) or shows the sign-in screen; the token never passes through this process otherwise.
 */
export interface ConnectionSettings {
  serverUrl?: string
  token?: string
}

const Env = z.object({
  THREADLINE_SERVER_URL: z.url('THREADLINE_SERVER_URL must be a URL such as http://127.0.0.1:4100').optional(),
  THREADLINE_TOKEN: z.string().min(1).optional(),
})

/** Reads THREADLINE_SERVER_URL and THREADLINE_TOKEN; returns a readable reason when they cannot be used. */
export function loadConnectionSettings(env: NodeJS.ProcessEnv = process.env): ConnectionSettings | { error: string } {
  const parsed = Env.safeParse({
    THREADLINE_SERVER_URL: env.THREADLINE_SERVER_URL || undefined,
    THREADLINE_TOKEN: env.THREADLINE_TOKEN || undefined,
  })
  if (!parsed.success) return { error: z.prettifyError(parsed.error) }
  const { THREADLINE_SERVER_URL: serverUrl, THREADLINE_TOKEN: token } = parsed.data
  if (token && !serverUrl) return { error: 'THREADLINE_TOKEN is set without THREADLINE_SERVER_URL, the server it belongs to.' }
  return { ...(serverUrl ? { serverUrl } : {}), ...(token ? { token } : {}) }
}
