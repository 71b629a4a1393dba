import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'

/**
 * Where this device keeps its sign-in: `session.json` beside the cache, readable by its owner
 * only. The token lives here and in the core's memory, never in the renderer.
 */
export const SESSION_FILE = 'session.json'

const SessionFile = z.object({
  serverUrl: z.url(),
  /** Absent after signing out: the server and email stay to fill in the sign-in form. */
  token: z.string().min(1).optional(),
  email: z.string().optional(),
})
export type SessionFile = z.infer<typeof SessionFile>

/** The stored sign-in, or null when there is none or it cannot be read (then the agent signs in again). */
export function readSessionFile(dataDir: string): SessionFile | null {
  let raw: string
  try {
    raw = readFileSync(join(dataDir, SESSION_FILE), 'utf8')
  } catch {
    return null
  }
  try {
    const parsed = SessionFile.safeParse(JSON.parse(raw))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

/** Written to a temporary file first, so a crash never leaves half a file; 0600 from the start. */
export function writeSessionFile(dataDir: string, session: SessionFile): void {
  const path = join(dataDir, SESSION_FILE)
  const temp = `${path}.tmp`
  writeFileSync(temp, `${JSON.stringify(SessionFile.parse(session), null, 2)}\n`, { mode: 0o600 })
  // `mode` applies only when the file is created; a leftover temp file keeps its old mode.
  chmodSync(temp, 0o600)
  renameSync(temp, path)
}

export function forgetSessionToken(dataDir: string): void {
  const stored = readSessionFile(dataDir)
  if (!stored) {
    rmSync(join(dataDir, SESSION_FILE), { force: true })
    return
  }
  const { token: _token, ...rest } = stored
  writeSessionFile(dataDir, rest)
}
