import { z } from 'zod'
import type { DeliveryStatus, Message } from '../../shared/domain'
import { BadRequestError } from '../errors'
import type { Commit } from '../sync/commit'

export const DeliveryReport = z.object({
  status: z.enum(['sent', 'delivered', 'read', 'failed']),
  /** The provider's id for the message, once it has one. */
  externalId: z.string().trim().min(1).max(998).optional(),
  error: z.string().max(2000).optional(),
})
export type DeliveryReport = z.infer<typeof DeliveryReport>

const PROGRESS: Record<DeliveryStatus, number> = { received: -1, queued: 0, sent: 1, delivered: 2, read: 3, failed: 4 }

export class NotFoundError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'NotFoundError'
  }
}

/**
 * Records a delivery update of an outbound message. Providers report out of order (a late
 * "sent" after "delivered"), so a message never moves backwards; a late report is a no-op.
 */
export function recordDelivery(commit: Commit, messageId: string, report: DeliveryReport, now = Date.now()): Promise<Message> {
  return commit(async (w) => {
    const message = await w.getMessage(messageId)
    if (!message) throw new NotFoundError(`unknown message ${messageId}`)
    if (message.direction !== 'outbound') throw new BadRequestError(`message ${messageId} is inbound; only outbound messages have a delivery state`)
    const externalId = report.externalId ?? message.externalId
    if (externalId !== message.externalId && externalId) {
      const other = await w.messageByExternalId(message.channel, externalId)
      if (other && other.id !== message.id) {
        throw new BadRequestError(`external id ${externalId} already belongs to message ${other.id}`)
      }
    }
    const moves = PROGRESS[report.status] > PROGRESS[message.deliveryStatus]
    if (!moves && externalId === message.externalId) return message
    const next: Message = {
      ...message,
      externalId,
      deliveryStatus: moves ? report.status : message.deliveryStatus,
      // A message that went out can still carry a problem (a refused cc): it stays until a later report replaces it.
      deliveryError: report.status === 'failed' ? (report.error ?? 'delivery failed') : (report.error ?? message.deliveryError),
      updatedAt: now,
    }
    await w.put('message', next)
    return next
  })
}
