import type { User } from '../../shared/domain'
import { hasRole, isAdmin } from '../../shared/roles'
import { ForbiddenError } from '../http/errors'
import type { StoreReader } from '../store/store'
import { canSeeInbox } from '../sync/access'

/**
 * Who may export a customer. An export answers a data-subject request, so it must be complete,
 * never a copy trimmed to what the asker may see: admins may export anyone; a supervisor only a
 * customer all of whose conversations are in inboxes they see; agents never.
 */

/** Refuses agents, whoever the customer: decided by role alone, so it says nothing about the customer. */
export function assertMayExportAtAll(user: User): void {
  if (!hasRole(user, 'supervisor')) throw new ForbiddenError('exporting a customer’s data is for supervisors and admins')
}

/** Refuses a supervisor who cannot see every inbox the customer has conversations in. */
export async function assertMayExport(store: Pick<StoreReader, 'conversationsOf'>, user: User, customerId: string): Promise<void> {
  assertMayExportAtAll(user)
  if (isAdmin(user)) return
  const hidden = new Set((await store.conversationsOf(customerId)).map((c) => c.inbox).filter((inbox) => !canSeeInbox(user, inbox)))
  if (hidden.size > 0) {
    throw new ForbiddenError(
      `this customer also has conversations in ${hidden.size === 1 ? 'an inbox' : `${hidden.size} inboxes`} you cannot see, and an export must be complete: ask an admin to export it`,
    )
  }
}
