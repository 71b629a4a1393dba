import { randomUUID } from 'node:crypto'
import { CHANNELS, type Identity, type Message } from '../../../shared/domain'
import type { Connector, ConnectorContext } from '../connector'

/**
 * Accepts every message and reports it delivered a moment later, like a provider whose
 * delivery receipt arrives after the send. For the demo and tests: nothing leaves the machine.
 */
export function createSandboxConnector(options: { deliveryDelayMs?: number } = {}): Connector {
  const delay = options.deliveryDelayMs ?? 50
  let context: ConnectorContext | null = null
  const timers = new Set<NodeJS.Timeout>()
  return {
    name: 'sandbox',
    inbox: null,
    channels: CHANNELS,
    async start(ctx) {
      context = ctx
    },
    async stop() {
      for (const t of timers) clearTimeout(t)
      timers.clear()
      context = null
    },
    async send(message: Message, _recipient: Identity) {
      const externalId = `sandbox-${randomUUID()}`
      const timer = setTimeout(() => {
        timers.delete(timer)
        context?.reportDelivery(message.id, { status: 'delivered' })
      }, delay)
      timers.add(timer)
      return { externalId }
    },
  }
}
