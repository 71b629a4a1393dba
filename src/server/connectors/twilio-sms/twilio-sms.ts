import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { Attachment, Identity, Message } from '../../../shared/domain'
import type { InboundMessage } from '../../../shared/ingest'
import { BadRequestError } from '../../errors'
import { InvalidAddressError, normalizeAddress } from '../../identity/normalize'
import { DeferredIngestError } from '../../ingest/inbound-service'
import type { Connector, ConnectorContext, ConnectorDefinition, ConnectorLogger, InboxSettings } from '../connector'
import type { DeliveryReport } from '../delivery'
import { refuseMalformed } from '../refused-payload'
import { smsKeyword } from './keywords'
import { acceptForms, flattenForm, TWIML_EMPTY, verifiedForm } from './twilio-webhook'
import { sendTwilioMessage } from './twilio-api'

export const TwilioSmsSettings = z
  .object({
    accountSid: z.string().trim().min(1, 'accountSid is required'),
    authToken: z.string().min(1, 'authToken is required'),
    /** The inbox's own number, E.164; or a messaging service picks the sender. */
    from: z.string().trim().min(1).optional(),
    messagingServiceSid: z.string().trim().min(1).optional(),
    /** Twilio or a Twilio-compatible provider. */
    apiBaseUrl: z.url().default('https://api.twilio.com'),
    /** The automatic answer to HELP. */
    helpText: z
      .string()
      .trim()
      .min(1)
      .max(1600)
      .default('Reply STOP to unsubscribe, START to subscribe again. Write to us here and an agent will answer.'),
  })
  .refine((s) => s.from !== undefined || s.messagingServiceSid !== undefined, {
    message: 'set "from" (the inbox phone number) or "messagingServiceSid"',
    path: ['from'],
  })
export type TwilioSmsSettings = z.output<typeof TwilioSmsSettings>

const Field = z.string().trim().min(1).max(500)

/** The parts of Twilio's inbound-message webhook we use. */
const InboundSms = z.object({
  MessageSid: Field,
  From: Field,
  To: Field.optional(),
  Body: z.string().max(10_000).default(''),
  NumMedia: z.coerce.number().int().min(0).max(10).default(0),
})

const StatusCallback = z.object({
  MessageSid: Field,
  MessageStatus: Field,
  ErrorCode: z.string().max(20).optional(),
  ErrorMessage: z.string().max(2000).optional(),
})

/** Twilio's message states, as ours; the states before `sent` leave a queued message as it is. */
const TWILIO_STATUS: Record<string, DeliveryReport['status'] | null> = {
  accepted: null,
  scheduled: null,
  queued: null,
  sending: null,
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  undelivered: 'failed',
  failed: 'failed',
  canceled: 'failed',
}

/** Twilio hosts media at https URLs; anything else cannot be fetched, or shown as a link. */
const MediaUrl = z.url({ protocol: /^https?$/ })

/** The message's media, or why one of its entries cannot be read. */
function mediaOf(params: Record<string, string>, count: number): Attachment[] | string {
  const attachments: Attachment[] = []
  for (let i = 0; i < count; i++) {
    const url = params[`MediaUrl${i}`]
    if (!url) continue
    if (!MediaUrl.safeParse(url).success) return `MediaUrl${i} must be an http(s) URL, not "${url}"`
    const name = new URL(url).pathname.split('/').filter(Boolean).at(-1) ?? `media-${i + 1}`
    // Twilio does not send sizes; the media stays at the provider, behind the account's credentials.
    attachments.push({ name, contentType: params[`MediaContentType${i}`] ?? 'application/octet-stream', size: 0, url })
  }
  return attachments
}

/** STOP withdraws SMS and promotional consent (on every channel); START restores both. */
function keywordConsent(keyword: 'stop' | 'start', body: string): NonNullable<InboundMessage['consent']> {
  const on = keyword === 'start'
  return { changes: { promotional: on, sms: on }, keyword: body.trim().toUpperCase() }
}

export function webhookPath(inbox: string, kind: string): string {
  return `/webhooks/${encodeURIComponent(inbox)}/${kind}`
}

class TwilioSmsConnector implements Connector {
  readonly name: string
  readonly inbox: string
  readonly channels = ['sms'] as const
  private context: ConnectorContext | null = null

  constructor(
    private readonly settings: TwilioSmsSettings,
    inbox: InboxSettings,
    private readonly server: { defaultCountry: string; publicUrl: string | null },
  ) {
    this.inbox = inbox.name
    this.name = `twilio-sms:${inbox.name}`
  }

  private get log(): ConnectorLogger {
    return this.context?.log ?? { info: () => {}, warn: () => {}, error: () => {} }
  }

  registerRoutes(app: FastifyInstance): void {
    acceptForms(app)
    const guard = { authToken: this.settings.authToken, publicUrl: this.server.publicUrl }

    app.post(webhookPath(this.inbox, 'sms'), async (request, reply) => {
      const ctx = this.context
      if (!ctx) return reply.status(503).send({ error: { code: 'internal', message: 'the SMS connector is starting' } })
      const what = 'SMS webhook'
      const params = verifiedForm(request, reply, { ...guard, log: ctx.log, what })
      if (!params) return reply
      const parsed = InboundSms.safeParse(flattenForm(params))
      if (!parsed.success) return refuseMalformed(request, reply, ctx, this.inbox, what, z.prettifyError(parsed.error))
      const sms = parsed.data
      let from: string
      try {
        from = normalizeAddress('phone', sms.From, this.server.defaultCountry)
      } catch (err) {
        if (err instanceof InvalidAddressError) return refuseMalformed(request, reply, ctx, this.inbox, what, `From: ${err.message}`)
        throw err
      }
      const attachments = mediaOf(flattenForm(params), sms.NumMedia)
      if (typeof attachments === 'string') return refuseMalformed(request, reply, ctx, this.inbox, what, attachments)
      const keyword = smsKeyword(sms.Body)
      const item: InboundMessage = {
        channel: 'sms',
        inbox: this.inbox,
        externalId: sms.MessageSid,
        from: { kind: 'phone', address: from },
        text: sms.Body,
        attachments,
        // Twilio sends no time: the arrival is the best we know, and it travels with the item
        // into the dead letters, so a late retry still shows (and counts, for STOP) from then.
        sentAt: Date.now(),
        // STOP / START and the answer to HELP travel with the message, so the ingest stores them
        // with it in one transaction, also when it is stored late from the dead letters.
        ...(keyword === 'stop' || keyword === 'start' ? { consent: keywordConsent(keyword, sms.Body) } : {}),
        ...(keyword === 'help' ? { autoReply: { text: this.settings.helpText } } : {}),
      }
      try {
        await ctx.ingest(item)
      } catch (err) {
        if (err instanceof BadRequestError) return refuseMalformed(request, reply, ctx, this.inbox, what, err.message)
        // Dead-lettered: stored and retried by the server, so Twilio is told it arrived.
        if (!(err instanceof DeferredIngestError)) throw err
      }
      return reply.type('text/xml').send(TWIML_EMPTY)
    })

    app.post(webhookPath(this.inbox, 'sms/status'), async (request, reply) => {
      const ctx = this.context
      if (!ctx) return reply.status(503).send({ error: { code: 'internal', message: 'the SMS connector is starting' } })
      const what = 'SMS status callback'
      const params = verifiedForm(request, reply, { ...guard, log: ctx.log, what })
      if (!params) return reply
      const parsed = StatusCallback.safeParse(flattenForm(params))
      if (!parsed.success) return refuseMalformed(request, reply, ctx, this.inbox, what, z.prettifyError(parsed.error))
      const { MessageSid, MessageStatus, ErrorCode, ErrorMessage } = parsed.data
      const status = TWILIO_STATUS[MessageStatus.toLowerCase()]
      if (status === undefined) {
        ctx.log.warn({ MessageSid, MessageStatus }, 'SMS status callback with an unknown status; ignored')
        return reply.status(204).send()
      }
      const messageId = await this.messageFor(ctx, (request.query as Record<string, unknown>).messageId, MessageSid)
      if (!messageId) {
        ctx.log.info({ MessageSid, MessageStatus }, 'SMS status callback for a message Threadline did not send; ignored')
        return reply.status(204).send()
      }
      if (status) {
        const error =
          status === 'failed'
            ? `SMS ${MessageStatus.toLowerCase()}${ErrorCode ? ` (Twilio error ${ErrorCode}${ErrorMessage ? `: ${ErrorMessage}` : ''})` : ''}`
            : undefined
        await ctx.reportDelivery(messageId, { status, externalId: MessageSid, ...(error ? { error } : {}) })
      }
      return reply.status(204).send()
    })
  }

  /**
   * The message a status callback is about: the id our send put in the callback URL (the
   * callback can arrive before the send's own result is recorded), else the provider's id.
   */
  private async messageFor(ctx: ConnectorContext, queryId: unknown, sid: string): Promise<string | null> {
    if (typeof queryId === 'string') {
      const m = await ctx.store.getMessage(queryId)
      if (m && m.channel === 'sms' && m.direction === 'outbound' && (m.externalId === null || m.externalId === sid)) return m.id
    }
    return (await ctx.store.messageByExternalId('sms', sid))?.id ?? null
  }

  async start(context: ConnectorContext): Promise<void> {
    this.context = context
    if (!this.server.publicUrl) {
      context.log.warn(
        { inbox: this.inbox },
        'publicUrl is not set: Twilio signatures are checked against the Host header, and sends carry no status callback',
      )
    }
  }

  async stop(): Promise<void> {
    this.context = null
  }

  async send(message: Message, recipient: Identity): Promise<{ externalId: string }> {
    const statusCallback = this.server.publicUrl
      ? `${this.server.publicUrl.replace(/\/+$/, '')}${webhookPath(this.inbox, 'sms/status')}?messageId=${encodeURIComponent(message.id)}`
      : undefined
    const sid = await sendTwilioMessage(this.settings, {
      to: recipient.address,
      body: message.text,
      ...(statusCallback ? { statusCallback } : {}),
    })
    return { externalId: sid }
  }
}

export const twilioSmsDefinition: ConnectorDefinition<typeof TwilioSmsSettings> = {
  type: 'twilio-sms',
  channels: ['sms'],
  settings: TwilioSmsSettings,
  create: (inbox, settings, server) => new TwilioSmsConnector(settings, inbox, server),
}
