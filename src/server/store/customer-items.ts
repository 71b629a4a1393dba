import type { CustomerItemKind, CustomerItemTypes } from './store'

/**
 * Where each kind of customer item is kept and which time orders it: both engines page a
 * customer's history on (time, id), which their (customer_id, time, id) indexes serve.
 */
export const CUSTOMER_ITEM_TABLES: Record<CustomerItemKind, { table: string; at: string }> = {
  message: { table: 'messages', at: 'sent_at' },
  note: { table: 'notes', at: 'created_at' },
  call: { table: 'calls', at: 'started_at' },
  event: { table: 'events', at: 'created_at' },
}

/** The time an item is ordered by, as its page cursor holds it. */
export function customerItemTime(kind: CustomerItemKind, item: CustomerItemTypes[CustomerItemKind]): number {
  switch (kind) {
    case 'message':
      return (item as CustomerItemTypes['message']).sentAt
    case 'call':
      return (item as CustomerItemTypes['call']).startedAt
    default:
      return (item as CustomerItemTypes['note' | 'event']).createdAt
  }
}
