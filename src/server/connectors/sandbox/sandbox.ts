import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { CHANNELS, type Identity, type Message } from '../../../shared/domain'
import { templateProblem } from '../../../shared/inbox-settings'
import type { Connector, ConnectorContext, ConnectorDefinition, InboxSettings } from '../connector'

/**
 * Accepts every message and reports it delivered a moment later, like a provider whose
 * delivery receipt arrives after the send. For the demo and tests: nothing leaves the machine.
 * Without an inbox it serves every inbox no other connector serves (`outbound: "sandbox"`); as an
 * inbox's connector it stands in for that inbox's provider, with the same template rules.
 */
export function createSandboxConnector(options: { deliveryDelayMs?: number; inbox?: InboxSettings } = {}): Connector {
  const delay = options.deliveryDelayMs ?? 50
  const inbox = options.inbox
  let context: ConnectorContext | null = null
  const timers = new Set<NodeJS.Timeout>()
  /** Reports being recorded: stop waits for them, so none writes after the connector stopped. */
  const reporting = new Set<Promise<void>>()
  return {
    name: inbox ? `sandbox:${inbox.name}` : 'sandbox',
    inbox: inbox?.name ?? null,
    channels: inbox ? [inbox.channel] : CHANNELS,
    async start(ctx) {
      context = ctx
    },
    async stop() {
      for (const t of timers) clearTimeout(t)
      timers.clear()
      context = null
      await Promise.all(reporting)
    },
    async send(message: Message, _recipient: Identity) {
      if (inbox && message.template) {
        const problem = templateProblem(inbox.name, inbox.templates ?? [], message.template)
        if (problem) throw new Error(problem)
      }
      const externalId = `sandbox-${randomUUID()}`
      const timer = setTimeout(() => {
        timers.delete(timer)
        const report = context?.reportDelivery(message.id, { status: 'delivered' })
        if (!report) return
        reporting.add(report)
        void report.finally(() => reporting.delete(report))
      }, delay)
      timers.add(timer)
      return { externalId }
    },
  }
}

const SandboxSettings = z.object({ deliveryDelayMs: z.number().int().min(0).max(60_000).optional() })

/** `"connector": { "type": "sandbox" }`: an inbox that talks to no provider, for trying Threadline out. */
export const sandboxDefinition: ConnectorDefinition<typeof SandboxSettings> = {
  type: 'sandbox',
  channels: CHANNELS,
  settings: SandboxSettings,
  create: (inbox, settings) => createSandboxConnector({ inbox, ...(settings.deliveryDelayMs === undefined ? {} : { deliveryDelayMs: settings.deliveryDelayMs }) }),
}
