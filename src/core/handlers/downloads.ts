import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import type { SavedExport } from '../../shared/customer-export'
import { IpcError } from '../errors'
import type { HandlerContext } from './context'
import { serverRefusal } from './server-rest'

/**
 * Where downloaded files go: the user's Downloads folder, or THREADLINE_DOWNLOADS_DIR where
 * the app is told otherwise (a managed desktop, the end-to-end tests).
 */
export function downloadsDir(): string {
  return process.env.THREADLINE_DOWNLOADS_DIR || path.join(os.homedir(), 'Downloads')
}

/** The server's suggested name, if it is a plain file name; a path in it is never followed. */
function suggestedName(disposition: string | null): string | null {
  const name = /filename="([^"]+)"/.exec(disposition ?? '')?.[1]
  return name && name === path.basename(name) && !name.startsWith('.') ? name : null
}

/** `name`, or `name (2).zip`… when a file of that name is already there: an earlier download is never overwritten. */
function freePath(dir: string, name: string): string {
  const ext = path.extname(name)
  const stem = name.slice(0, name.length - ext.length)
  for (let n = 1; ; n++) {
    const candidate = path.join(dir, n === 1 ? name : `${stem} (${n})${ext}`)
    if (!fs.existsSync(candidate)) return candidate
  }
}

/**
 * Downloads what the server makes at `apiPath` (a customer's archive, the audit log) into the
 * Downloads folder with the session's token, which the renderer never sees, streaming it to disk
 * so its size does not matter. `what` names the need in errors ("exporting needs a connection").
 */
export async function saveDownload(
  ctx: Pick<HandlerContext, 'token' | 'serverUrl'>,
  apiPath: string,
  options: { fallbackName: string; what: string; timeoutMs: number },
): Promise<SavedExport> {
  if (!ctx.token || !ctx.serverUrl) throw new IpcError('bad_request', 'Sign in to a Threadline server first.')
  let res: Response
  try {
    res = await fetch(new URL(`/api/v1${apiPath}`, ctx.serverUrl), {
      headers: { authorization: `Bearer ${ctx.token}` },
      signal: AbortSignal.timeout(options.timeoutMs),
    })
  } catch (err) {
    throw new IpcError('internal', `Cannot reach the server (${err instanceof Error ? err.message : String(err)}): ${options.what} needs a connection.`)
  }
  if (!res.ok) throw await serverRefusal(res)
  if (!res.body) throw new IpcError('internal', 'The server sent nothing to save.')
  const dir = downloadsDir()
  fs.mkdirSync(dir, { recursive: true })
  const file = freePath(dir, suggestedName(res.headers.get('content-disposition')) ?? options.fallbackName)
  // Written aside and renamed once whole: a download cut short never looks like a finished file.
  const partial = `${file}.partial`
  try {
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), fs.createWriteStream(partial, { mode: 0o600 }))
    fs.renameSync(partial, file)
  } catch (err) {
    fs.rmSync(partial, { force: true })
    throw new IpcError('internal', `The download stopped before its end (${err instanceof Error ? err.message : String(err)}); nothing was saved.`)
  }
  return { path: file, name: path.basename(file), bytes: fs.statSync(file).size }
}

/** Saves text made on this device (a report's CSV) into the Downloads folder, never over an earlier file. */
export function saveLocalFile(name: string, content: string): SavedExport {
  const dir = downloadsDir()
  fs.mkdirSync(dir, { recursive: true })
  const file = freePath(dir, name)
  fs.writeFileSync(file, content, { mode: 0o600, flag: 'wx' })
  return { path: file, name: path.basename(file), bytes: Buffer.byteLength(content) }
}
