import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'

/** Where the core finds the sync server and who it signs in as. */
export interface ConnectionSettings {
  serverUrl: string
  token: string
}

const SettingsFile = z.object({
  serverUrl: z.string().url().optional(),
  token: z.string().min(1).optional(),
})

/**
 * Environment first (what `npm start` sets), then `settings.json` in userData (what an
 * installed app keeps). Returns a readable reason instead of settings when neither says.
 */
export function loadConnectionSettings(
  userDataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): ConnectionSettings | { error: string } {
  const path = join(userDataDir, 'settings.json')
  let file: z.infer<typeof SettingsFile> = {}
  try {
    const parsed = SettingsFile.safeParse(JSON.parse(readFileSync(path, 'utf8')))
    if (!parsed.success) return { error: `${path} is not valid: ${z.prettifyError(parsed.error)}` }
    file = parsed.data
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      return { error: `cannot read ${path}: ${(err as Error).message}` }
    }
  }
  const serverUrl = env.THREADLINE_SERVER_URL || file.serverUrl
  const token = env.THREADLINE_TOKEN || file.token
  if (!serverUrl || !token) {
    return {
      error:
        'No sync server configured. Set THREADLINE_SERVER_URL and THREADLINE_TOKEN, ' +
        `or write {"serverUrl": "...", "token": "..."} to ${path}.`,
    }
  }
  return { serverUrl, token }
}
