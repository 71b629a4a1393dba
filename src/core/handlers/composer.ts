import { ComposerDraft, type IpcHandlers } from '../../shared/ipc'
import { deleteDraft, getDraft, listCannedResponses, saveDraft } from '../db/queries'
import { IpcError } from '../errors'
import type { HandlerContext } from './context'

const DOWNLOAD_TIMEOUT_MS = 60_000

/** How long `inbox.settings` waits for the first contact with the server after the app starts. */
const FIRST_CONTACT_MS = 10_000

export function composerHandlers(
  ctx: HandlerContext,
): Pick<IpcHandlers, 'draft.get' | 'draft.save' | 'canned.list' | 'inbox.settings' | 'attachment.download'> {
  return {
    'draft.get': ({ conversationId }) => {
      const row = getDraft(ctx.db, conversationId)
      if (!row) return null
      // A draft written by an older build that no longer parses is dropped rather than breaking the composer.
      const parsed = ComposerDraft.safeParse(JSON.parse(row.json))
      return parsed.success ? parsed.data : null
    },
    'draft.save': ({ conversationId, draft }) => {
      if (draft === null) deleteDraft(ctx.db, conversationId)
      else saveDraft(ctx.db, { conversationId, mode: draft.mode, json: JSON.stringify(draft), updatedAt: Date.now() })
      return { ok: true }
    },
    'canned.list': () => listCannedResponses(ctx.db),
    'inbox.settings': () => ctx.engine.inboxSettings(FIRST_CONTACT_MS),
    'attachment.download': async ({ url }) => {
      let response: Response
      try {
        response = await fetch(new URL(url, ctx.serverUrl), {
          headers: { authorization: `Bearer ${ctx.token}` },
          signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS),
        })
      } catch (err) {
        throw new IpcError('internal', `Could not reach the server for this attachment (${err instanceof Error ? err.message : String(err)}); it downloads once you are online.`)
      }
      if (response.status === 404) throw new IpcError('not_found', 'The server no longer has this attachment, or you cannot see its inbox.')
      if (!response.ok) throw new IpcError('internal', `The server refused the attachment download: HTTP ${response.status}.`)
      const disposition = response.headers.get('content-disposition') ?? ''
      const name = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1]
      return {
        name: name ? decodeURIComponent(name) : 'attachment',
        contentType: response.headers.get('content-type') ?? 'application/octet-stream',
        base64: Buffer.from(await response.arrayBuffer()).toString('base64'),
      }
    },
  }
}
