import fs from 'node:fs'
import type { Server } from 'node:http'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { TokenAuth } from '../../auth/token-auth'
import { bearerToken } from '../../auth/tokens'
import { refuseToken } from '../../http/auth'
import { errorBody } from '../../http/errors'
import { canSeeInbox } from '../../sync/access'
import { ATTACHMENT_ROUTE_PREFIX, type AttachmentStore } from './attachment-store'

// Every email inbox keeps its files in the same folder beside the database, so one route serves
// them all; the first email connector of a server registers it.
const served = new WeakSet<Server>()

/**
 * `GET /api/v1/attachments/:sha256`: a stored attachment, for a token whose user can see an
 * inbox that received it. Always a download (never rendered inline by a browser), since the
 * bytes are whatever a stranger mailed in.
 */
export function registerAttachmentRoute(app: FastifyInstance, files: AttachmentStore, auth: () => TokenAuth | null): void {
  if (served.has(app.server)) return
  served.add(app.server)
  app.withTypeProvider<ZodTypeProvider>().get(
    `${ATTACHMENT_ROUTE_PREFIX}:sha256`,
    {
      schema: {
        tags: ['channels'],
        summary: 'Download an attachment a customer sent by email (by the SHA-256 in its url)',
        params: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the 64 hex digits of a SHA-256') }),
      },
    },
    async (request, reply) => {
    const tokens = auth()
    if (!tokens) return reply.status(503).send(errorBody('internal', 'the email connector is not running yet'))
    const token = bearerToken(request.headers.authorization)
    const accepted = await tokens.user(token)
    if (!accepted.ok) return refuseToken(reply, token, accepted.reason)
    const { user } = accepted
    const stored = files.open(request.params.sha256)
    // Someone who cannot see any inbox holding the file learns nothing, not even that it exists.
    if (!stored || !stored.meta.inboxes.some((inbox) => canSeeInbox(user, inbox))) {
      return reply.status(404).send(errorBody('not_found', `no attachment ${request.params.sha256}`))
    }
    const { meta, file } = stored
    return reply
      .header('content-type', meta.contentType || 'application/octet-stream')
      .header('content-length', String(meta.size))
      .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(meta.name)}`)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'private, max-age=31536000, immutable')
      .send(fs.createReadStream(file))
    },
  )
}
