import { useEffect, useState } from 'react'
import type { TypingNotice } from '../../../../shared/sync'
import { useApi } from '../../api/context'

/** A lost "stopped typing" (the visitor closed the tab, the connection dropped) must not leave the line up. */
const CUSTOMER_TYPING_EXPIRY_MS = 6_000

/** "<name> is typing…" while this customer (a chat visitor) types in any of their conversations. */
export function CustomerTyping({ customerId }: { customerId: string }) {
  const api = useApi()
  const [typing, setTyping] = useState<TypingNotice | null>(null)

  useEffect(() => {
    let expiry: ReturnType<typeof setTimeout> | null = null
    const off = api.on('customer.typing', (notice) => {
      if (notice.customerId !== customerId) return
      if (expiry) clearTimeout(expiry)
      expiry = null
      if (!notice.typing) {
        setTyping(null)
        return
      }
      setTyping(notice)
      expiry = setTimeout(() => setTyping(null), CUSTOMER_TYPING_EXPIRY_MS)
    })
    return () => {
      off()
      if (expiry) clearTimeout(expiry)
      setTyping(null)
    }
  }, [api, customerId])

  // The live region stays mounted so screen readers announce the line when it appears.
  return (
    <div className={typing ? 'presence customer-typing' : 'visually-hidden'} role="status" aria-live="polite" data-testid="customer-typing">
      {typing && <span>{typing.name} is typing…</span>}
    </div>
  )
}
