import type { FastifyReply, FastifyRequest } from 'fastify'
import { errorBody } from '../http/errors'
import { redactedUrl } from '../http/log-redaction'
import type { ConnectorContext } from './connector'

/** The dead-letter kind of a provider's payload that was refused as malformed. */
export const REFUSED_WEBHOOK = 'refused-webhook'

/**
 * When a refused payload is due again: never. The retry loop takes letters whose time has come,
 * and no retry can change what the provider sent; the letter stays for supervisors to read.
 */
export const NEVER_RETRIED = Number.MAX_SAFE_INTEGER

/**
 * Refuses an authentic (signed) webhook whose content cannot be read: its payload is kept in the
 * dead letters with the reason, under the inbox whose webhook it came to, so nothing the provider
 * sent is lost and the supervisors of that inbox can see it; the provider is answered 400 with the reason.
 */
export async function refuseMalformed(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: Pick<ConnectorContext, 'log' | 'store'>,
  inbox: string,
  what: string,
  reason: string,
  body: unknown = request.body,
): Promise<FastifyReply> {
  const message = `malformed ${what}: ${reason}`
  const deadLetterId = (await ctx.store.write((w) => w.addDeadLetter(REFUSED_WEBHOOK, inbox, { url: request.url, body }, message, NEVER_RETRIED))).result
  ctx.log.warn({ url: redactedUrl(request.url), reason, deadLetterId }, `${what} refused: malformed payload`)
  return reply.status(400).send(errorBody('bad_request', message))
}
