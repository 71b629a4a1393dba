import type { Message } from '../../shared/domain'
import type { StoreReader } from '../store/store'
import type { FrequencyCap } from './config'

const PAGE = 200

/** Outbound messages that reached the provider (queued and failed ones were never sent). */
const SENT = new Set<Message['deliveryStatus']>(['sent', 'delivered', 'read'])

/**
 * How many messages matching the cap were sent to the customer since `since`. Reads the
 * customer's timeline newest first and stops at the window's start, so the cost is the
 * number of items inside the window.
 */
export async function sendsInWindow(store: StoreReader, customerId: string, cap: FrequencyCap, since: number, except: string): Promise<number> {
  let count = 0
  let before: string | undefined
  for (;;) {
    const page = await store.timeline(customerId, null, PAGE, before)
    for (const entry of page.items) {
      if (entry.at < since) return count
      if (entry.kind !== 'message') continue
      const m = entry.item
      if (m.id === except || m.direction !== 'outbound' || !SENT.has(m.deliveryStatus)) continue
      if (!cap.purposes.includes(m.purpose ?? 'transactional')) continue
      if (cap.channels && !cap.channels.includes(m.channel)) continue
      count++
    }
    if (!page.next) return count
    before = page.next
  }
}
