import { useEffect } from 'react'
import { useApi } from '../../api/context'

/**
 * Tells the core a customer's timeline is on screen: it is read from this device's cache, so
 * only the app knows it was opened, and the audit log records who read whose conversations.
 * A refusal (signed out) changes nothing on screen.
 */
export function useTimelineOpened(customerId: string): void {
  const api = useApi()
  useEffect(() => {
    void api.call('customer.opened', { customerId }).catch(() => {})
  }, [api, customerId])
}
