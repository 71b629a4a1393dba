import { userActor } from '../../shared/actors'
import type { MutationArgs } from '../../shared/mutations'
import { recordAudit } from '../audit/record'
import type { CustomerCtx, CustomerOutcome } from './customer-mutations'

/**
 * The app read a customer's timeline from its cache. Recorded whatever the customer's state
 * now (merged, erased, out of the user's inboxes since): the device showed it, and that is what
 * the log answers for. The time is the device's, never later than the server's clock.
 */
export async function timelineOpened({ w, user, now, origin }: CustomerCtx, args: MutationArgs<'timelineOpened'>): Promise<CustomerOutcome> {
  await recordAudit(
    w,
    { actor: userActor(user.id), action: 'timeline.opened', target: { type: 'customer', id: args.customerId }, origin, at: Math.min(args.openedAt, now) },
    now,
  )
  return null
}
