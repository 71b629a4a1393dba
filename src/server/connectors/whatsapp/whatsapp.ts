import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { Identity, Message } from '../../../shared/domain'
import { templateProblem, type ApprovedTemplate } from '../../../shared/inbox-settings'
import type { InboundMessage } from '../../../shared/ingest'
import { whatsappWindow, WHATSAPP_WINDOW_MS } from '../../../shared/whatsapp-window'
import { BadRequestError } from '../../errors'
import { errorBody } from '../../http/errors'
import { redactedUrl } from '../../http/log-redaction'
import { InvalidAddressError, normalizeAddress } from '../../identity/normalize'
import { DeferredIngestError } from '../../ingest/inbound-service'
import type { StoreReader } from '../../store/store'
import type { Connector, ConnectorContext, ConnectorDefinition, InboxSettings } from '../connector'
import type { DeliveryReport } from '../delivery'
import { refuseMalformed } from '../refused-payload'
import { webhookPath } from '../twilio-sms/twilio-sms'
import { graphUrl, sendWhatsApp } from './graph-api'
import { contentOf, WhatsAppWebhook } from './payload'
import { signatureProblem } from './signature'

export const WhatsAppSettings = z.object({
  /** The business phone number's id in the Cloud API (not the number itself). */
  phoneNumberId: z.string().trim().min(1, 'phoneNumberId is required'),
  accessToken: z.string().min(1, 'accessToken is required'),
  /** The Meta app's secret: it signs every webhook (X-Hub-Signature-256). */
  appSecret: z.string().min(1, 'appSecret is required'),
  /** Chosen by you and entered in the app's webhook settings; answers the subscription handshake. */
  verifyToken: z.string().min(1, 'verifyToken is required'),
  graphApiBaseUrl: z.url().default('https://graph.facebook.com'),
  graphApiVersion: z.string().regex(/^v\d+\.\d+$/, 'must look like v21.0').default('v21.0'),
})
export type WhatsAppSettings = z.output<typeof WhatsAppSettings>

const STATUS: Record<string, DeliveryReport['status']> = { sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' }

const PAGE = 200

/**
 * When the customer last wrote to this WhatsApp number, looking back no further than the
 * window: the timeline is read newest first and the scan stops at the window's start.
 */
export async function lastInboundAt(store: StoreReader, customerId: string, inbox: string, now: number): Promise<number | null> {
  const since = now - WHATSAPP_WINDOW_MS
  const inboxOf = new Map<string, string | undefined>()
  let before: string | undefined
  for (;;) {
    const page = await store.timeline(customerId, null, PAGE, before)
    for (const entry of page.items) {
      if (entry.at < since) return null
      if (entry.kind !== 'message' || entry.item.channel !== 'whatsapp' || entry.item.direction !== 'inbound') continue
      const conversationId = entry.item.conversationId
      if (!inboxOf.has(conversationId)) inboxOf.set(conversationId, (await store.getConversation(conversationId))?.inbox)
      if (inboxOf.get(conversationId) === inbox) return entry.item.sentAt
    }
    if (!page.next) return null
    before = page.next
  }
}

class WhatsAppConnector implements Connector {
  readonly name: string
  readonly inbox: string
  readonly channels = ['whatsapp'] as const
  private context: ConnectorContext | null = null
  private readonly templates: readonly ApprovedTemplate[]

  constructor(
    private readonly settings: WhatsAppSettings,
    inbox: InboxSettings,
    private readonly server: { defaultCountry: string },
  ) {
    this.inbox = inbox.name
    this.name = `whatsapp-cloud:${inbox.name}`
    this.templates = inbox.templates ?? []
  }

  registerRoutes(app: FastifyInstance): void {
    // The signature covers the exact bytes sent, so this scope reads every body raw.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 5 * 1024 * 1024 }, (_request, body, done) => done(null, body))
    const path = webhookPath(this.inbox, 'whatsapp')

    app.get(path, async (request, reply) => {
      const query = request.query as Record<string, unknown>
      if (query['hub.mode'] !== 'subscribe' || typeof query['hub.challenge'] !== 'string') {
        return reply.status(400).send(errorBody('bad_request', 'expected hub.mode=subscribe with hub.verify_token and hub.challenge'))
      }
      if (query['hub.verify_token'] !== this.settings.verifyToken) {
        this.log(request).warn({ url: path }, 'WhatsApp webhook verification refused: wrong hub.verify_token')
        return reply.status(403).send(errorBody('forbidden', 'hub.verify_token does not match the configured verifyToken'))
      }
      return reply.type('text/plain').send(query['hub.challenge'])
    })

    app.post(path, (request, reply) => this.onWebhook(request, reply))
  }

  private log(request: FastifyRequest) {
    return this.context?.log ?? request.log
  }

  /** Not signed by the app's secret: nothing of it is kept. */
  private refuseUnsigned(request: FastifyRequest, reply: FastifyReply, reason: string): FastifyReply {
    this.log(request).warn({ url: redactedUrl(request.url), reason }, `WhatsApp webhook refused: ${reason}`)
    return reply.status(401).send(errorBody('unauthorized', reason))
  }

  private async onWebhook(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const ctx = this.context
    if (!ctx) return reply.status(503).send(errorBody('internal', 'the WhatsApp connector is starting'))
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
    const problem = signatureProblem(raw, request.headers['x-hub-signature-256'], this.settings.appSecret)
    if (problem) return this.refuseUnsigned(request, reply, problem)
    const what = 'WhatsApp webhook'
    const text = raw.toString('utf8')
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (err) {
      return refuseMalformed(request, reply, ctx, this.inbox, what, `the body is not JSON (${(err as Error).message})`, text)
    }
    const malformed = (reason: string) => refuseMalformed(request, reply, ctx, this.inbox, what, reason, json)
    const parsed = WhatsAppWebhook.safeParse(json)
    if (!parsed.success) return malformed(z.prettifyError(parsed.error))

    // Everything is checked before anything is stored, so a refused batch leaves no half behind.
    const items: InboundMessage[] = []
    const statuses: { wamid: string; report: DeliveryReport }[] = []
    for (const entry of parsed.data.entry) {
      for (const change of entry.changes) {
        if (change.field !== 'messages') continue
        const value = change.value
        if (value.metadata && value.metadata.phone_number_id !== this.settings.phoneNumberId) {
          ctx.log.warn({ phoneNumberId: value.metadata.phone_number_id, inbox: this.inbox }, 'WhatsApp webhook for another phone number; ignored')
          continue
        }
        const names = new Map((value.contacts ?? []).map((c) => [c.wa_id, c.profile?.name]))
        for (const m of value.messages ?? []) {
          try {
            normalizeAddress('whatsapp', m.from, this.server.defaultCountry)
          } catch (err) {
            if (err instanceof InvalidAddressError) return malformed(`message ${m.id}: ${err.message}`)
            throw err
          }
          const name = names.get(m.from)
          items.push({
            channel: 'whatsapp',
            inbox: this.inbox,
            externalId: m.id,
            from: { kind: 'whatsapp', address: m.from, ...(name ? { name } : {}) },
            ...contentOf(m, (id) => graphUrl(this.settings, id)),
            sentAt: m.timestamp * 1000,
          })
        }
        for (const s of value.statuses ?? []) {
          const status = STATUS[s.status]
          if (!status) continue
          const error = s.errors?.map((e) => [e.code, e.title ?? e.message].filter(Boolean).join(' ')).join('; ')
          statuses.push({ wamid: s.id, report: { status, externalId: s.id, ...(status === 'failed' ? { error: `WhatsApp: ${error || 'failed'}` } : {}) } })
        }
      }
    }

    for (const item of items) {
      try {
        await ctx.ingest(item)
      } catch (err) {
        if (err instanceof BadRequestError) return malformed(`message ${item.externalId}: ${err.message}`)
        // Dead-lettered: stored and retried by the server.
        if (!(err instanceof DeferredIngestError)) throw err
      }
    }
    for (const { wamid, report } of statuses) {
      const message = await ctx.store.messageByExternalId('whatsapp', wamid)
      if (!message) {
        ctx.log.info({ wamid, status: report.status }, 'WhatsApp status for a message Threadline did not send; ignored')
        continue
      }
      await ctx.reportDelivery(message.id, report)
    }
    return reply.status(200).send({ ok: true })
  }

  async start(context: ConnectorContext): Promise<void> {
    this.context = context
  }

  async stop(): Promise<void> {
    this.context = null
  }

  async send(message: Message, recipient: Identity): Promise<{ externalId: string }> {
    if (message.template) {
      // Checked here, before the provider is called: a template it would refuse (or one the agent
      // mistyped) fails with a reason the agent can act on, and nothing reaches the customer.
      const problem = templateProblem(this.inbox, this.templates, message.template)
      if (problem) throw new Error(problem)
      return { externalId: await sendWhatsApp(this.settings, recipient.address, { kind: 'template', template: message.template }) }
    }
    const ctx = this.context
    if (!ctx) throw new Error('the WhatsApp connector is not running')
    const now = Date.now()
    const last = await lastInboundAt(ctx.store, message.customerId, this.inbox, now)
    const window = whatsappWindow(last, now)
    if (!window.open) {
      throw new Error(
        'outside the WhatsApp 24-hour customer-service window (the customer has not written in the last 24 hours): ' +
          'only an approved template message can be sent until they write again',
      )
    }
    return { externalId: await sendWhatsApp(this.settings, recipient.address, { kind: 'text', body: message.text }) }
  }
}

export const whatsappDefinition: ConnectorDefinition<typeof WhatsAppSettings> = {
  type: 'whatsapp-cloud',
  channels: ['whatsapp'],
  settings: WhatsAppSettings,
  create: (inbox, settings, server) => new WhatsAppConnector(settings, inbox, server),
}
