import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { exportFileName } from '../../shared/customer-export'
import type { IpcHandlers } from '../../shared/ipc'
import { IpcError } from '../errors'
import type { HandlerContext } from './context'
import { serverRefusal } from './server-rest'

/** A large customer's archive takes a while to stream; a server that stops sending is given up on. */
const EXPORT_TIMEOUT_MS = 10 * 60_000

/**
 * Where downloaded archives go: the user's Downloads folder, or THREADLINE_DOWNLOADS_DIR where
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

/** `name`, or `name (2).zip`… when a file of that name is already there: an earlier export is never overwritten. */
function freePath(dir: string, name: string): string {
  const ext = path.extname(name)
  const stem = name.slice(0, name.length - ext.length)
  for (let n = 1; ; n++) {
    const candidate = path.join(dir, n === 1 ? name : `${stem} (${n})${ext}`)
    if (!fs.existsSync(candidate)) return candidate
  }
}

/**
 * The customer's archive is made by the server (an export must be complete, and only the server
 * holds every inbox); the core downloads it with the session's token, which the renderer never
 * sees, streaming it to disk so its size does not matter.
 */
export function customerExportHandlers(ctx: Pick<HandlerContext, 'token' | 'serverUrl'>): Pick<IpcHandlers, 'customer.export'> {
  return {
    'customer.export': async ({ customerId }) => {
      if (!ctx.token || !ctx.serverUrl) throw new IpcError('bad_request', 'Sign in to a Threadline server first.')
      let res: Response
      try {
        res = await fetch(new URL(`/api/v1/customers/${encodeURIComponent(customerId)}/export`, ctx.serverUrl), {
          headers: { authorization: `Bearer ${ctx.token}` },
          signal: AbortSignal.timeout(EXPORT_TIMEOUT_MS),
        })
      } catch (err) {
        throw new IpcError('internal', `Cannot reach the server (${err instanceof Error ? err.message : String(err)}): exporting needs a connection.`)
      }
      if (!res.ok) throw await serverRefusal(res)
      if (!res.body) throw new IpcError('internal', 'The server sent no archive.')
      const dir = downloadsDir()
      fs.mkdirSync(dir, { recursive: true })
      const name = suggestedName(res.headers.get('content-disposition')) ?? exportFileName(customerId, Date.now())
      const file = freePath(dir, name)
      // Written aside and renamed once whole: a download cut short never looks like an archive.
      const partial = `${file}.partial`
      try {
        await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), fs.createWriteStream(partial, { mode: 0o600 }))
        fs.renameSync(partial, file)
      } catch (err) {
        fs.rmSync(partial, { force: true })
        throw new IpcError('internal', `The export stopped before its end (${err instanceof Error ? err.message : String(err)}); nothing was saved.`)
      }
      return { path: file, name: path.basename(file), bytes: fs.statSync(file).size }
    },
  }
}
