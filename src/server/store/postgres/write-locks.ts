/**
 * The locks PostgreSQL writers take, on every node, so that several nodes write at once and
 * still answer as SQLite's one writer does.
 *
 * - The writers' lock (an advisory lock, taken right after BEGIN). A write (`Store.write`: an
 *   agent's action, a connector's state, a token) takes it exclusively, so its reads see every
 *   earlier commit and nothing else writes until it commits, exactly as on SQLite. A group commit
 *   of inbound items (`Store.writeEach`) takes it shared: groups on different nodes run side by
 *   side, and wait only for the exclusive writes.
 * - A customer's lock (an advisory lock keyed by the customer's id), in shared writes only. A
 *   row that belongs to a customer (the customer, their identities, conversations and items) is
 *   read, then its customer locked, then read again if that lock was new: the second read sees
 *   every commit made while waiting, and no other group changes that customer's rows until this
 *   one commits. So an item's read-then-write of a conversation or customer never loses a
 *   concurrent update. What is looked up before any customer is known (a message's external id,
 *   an identity's address, a call's id) is guarded by the unique index it is looked up in: a
 *   concurrent insert of the same key fails, and the item runs again from its savepoint, finding
 *   the row the other group committed.
 * - The change counter's row, taken last (see postgres-store.ts): it numbers the transaction's
 *   changes and is held to COMMIT, so seqs become visible in order.
 *
 * Two groups that lock two customers in opposite orders deadlock; PostgreSQL aborts one of them
 * after `deadlock_timeout`, and that group runs again from its start, once the other has its
 * locks. Rolling back only the item would not do: the locks of the group's earlier items would
 * still be in the cycle.
 */

/** The writers' lock: one bigint advisory key (any fixed number; leases hash prefixed names). */
export const WRITERS_LOCK = 7_305_119_443

/** The class of the two-part advisory keys of customers' locks; the second part hashes the id. */
export const CUSTOMER_LOCK_CLASS = 7_305

/** How many times a group commit's item, and a whole group, runs before a conflict is its outcome. */
export const ATTEMPTS = 4

/** What to run again after `error`: the item (another group inserted its key first), the whole group (a deadlock), or nothing. */
export function conflictOf(error: unknown): 'item' | 'group' | null {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  if (code === '23505') return 'item' // unique_violation
  if (code === '40P01') return 'group' // deadlock_detected
  return null
}
