/**
 * WhatsApp's customer-service window: a business may send free-form messages only within 24
 * hours of the customer's last message to it; outside, only an approved template. The server
 * enforces it at send time; the composer shows it from the latest inbound WhatsApp message
 * of the conversation in its cache (its `sentAt`).
 */
export const WHATSAPP_WINDOW_MS = 24 * 60 * 60 * 1000

export interface WhatsAppWindow {
  open: boolean
  /** When free-form sending stops being allowed; null when the customer never wrote. */
  closesAt: number | null
}

export function whatsappWindow(lastInboundAt: number | null, now: number): WhatsAppWindow {
  if (lastInboundAt === null) return { open: false, closesAt: null }
  const closesAt = lastInboundAt + WHATSAPP_WINDOW_MS
  return { open: now < closesAt, closesAt }
}
