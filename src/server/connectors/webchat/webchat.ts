import type { Server as HttpServer } from 'node:http'
import { z } from 'zod'
import {
  ChatContact,
  IdentifyRequest,
  JoinRequest,
  SendCodeRequest,
  VerifyCodeRequest,
  OfflineMessageRequest,
  RateRequest,
  SendRequest,
  TypingRequest,
  type ChatError,
  type ChatMessage,
  type ChatSession,
  type IdentifyResponse,
  type OkResponse,
  type RateResponse,
  type SendCodeResponse,
} from '../../../shared/chat'
import type { Conversation, Identity, Message } from '../../../shared/domain'
import type { InboundMessage } from '../../../shared/ingest'
import { ConfigError } from '../../config'
import { BadRequestError, parseOrThrow } from '../../errors'
import { InvalidAddressError, normalizeAddress } from '../../identity/normalize'
import { DeferredIngestError } from '../../ingest/inbound-service'
import type { Connector, ConnectorContext, ConnectorDefinition, ConnectorServerSettings, InboxSettings } from '../connector'
import { ChatLimits, WebchatRateLimits } from './chat-limits'
import { EmailCodes, ProofError, verifySignedIdentity } from './identity-proof'
import { RateLimitedError } from './rate-limit'
import { hubFor, inboxRoom, releaseHub, visitorRoom, type Admission, type ChatArrival, type ChatHub, type ChatInbox, type ChatSocket } from './hub'
import { newVisitorId, signVisitorToken, verifyVisitorToken } from './visitor-token'
import { widgetBundle } from './widget-bundle'
import { answerSurvey, surveyOf, type Survey } from '../../csat/surveys'

const Origin = z
  .string()
  .trim()
  .refine((o) => o === '*' || URL.canParse(o), { message: 'must be an origin such as https://www.example.com, or "*"' })
  .transform((o) => (o === '*' ? o : new URL(o).origin))

export const WebchatSettings = z.object({
  /** Signs visitor tokens (HMAC-SHA256). Changing it starts every visitor afresh. */
  secret: z.string().min(32, 'secret must be at least 32 characters: it signs visitor tokens'),
  /** Origins of the sites that may embed this inbox's widget; "*" allows any site. */
  allowedOrigins: z.array(Origin).min(1, 'allowedOrigins must list at least one site origin (or "*")'),
  /**
   * Lets clients that send no Origin (scripts, a server relaying its users' chats) connect.
   * Browsers always send one, so without this every such client is refused.
   */
  allowServerClients: z.boolean().default(false),
  rateLimits: WebchatRateLimits.prefault({}),
  title: z.string().trim().min(1).max(100).default('Chat with us'),
  greeting: z.string().trim().max(500).nullable().default(null),
  /** Ask for name and email before the first message (both optional for the visitor). */
  preChatForm: z.boolean().default(true),
  /**
   * A tick box on the pre-chat form asking for marketing consent, e.g. "Send me news and offers
   * by email". A tick is recorded as the customer's consent to promotional messages, with the
   * pre-chat form as its source; leaving it unticked changes nothing.
   */
  preChatConsent: z.string().trim().min(1).max(300).nullable().default(null),
  /** Messages of a conversation sent back to a returning visitor. */
  historyLimit: z.number().int().min(1).max(1000).default(200),
  /**
   * Verifies the identity the embedding site gives a signed-in user: its backend signs
   * `${userId}\n${email}` with this secret (hex HMAC-SHA256). Without it, signed identities are refused.
   */
  identitySecret: z.string().min(32, 'identitySecret must be at least 32 characters').optional(),
  /** An email inbox of this server that mails visitors a one-time code proving the email they typed. */
  codeEmailInbox: z.string().trim().min(1).optional(),
})
export type WebchatSettings = z.output<typeof WebchatSettings>

const THREAD_PREFIX = 'webchat:'
const emailKey = (email: string): string => email.trim().toLowerCase()
const threadKeyOf = (visitorId: string): string => `${THREAD_PREFIX}${visitorId}`
const DELIVERY_ACK_TIMEOUT_MS = 10_000

/**
 * The pre-chat form's consent tick travels with one message only: carried again on later ones,
 * it would undo a withdrawal the customer made since (a STOP by SMS).
 */
const withConsentCarried = ({ marketingConsent: _given, ...rest }: ChatContact): ChatContact => rest

interface AckingEmitter {
  emit(event: 'message', message: ChatMessage, ack: (err: Error | null) => void): void
}

const problem = (code: ChatError['error']['code'], message: string, event?: string, retryAfterSeconds?: number): ChatError['error'] => ({
  code,
  message,
  ...(event ? { event } : {}),
  ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
})
const chatError = (...args: Parameters<typeof problem>): ChatError => ({ error: problem(...args) })
const refused = (code: ChatError['error']['code'], message: string, retryAfterSeconds?: number): Admission => ({
  refused: problem(code, message, undefined, retryAfterSeconds),
})

/** The message as the visitor sees it; the survey given is the customer's latest, shown with the message that asks it. */
function toChatMessage(m: Message, survey: Survey | null = null): ChatMessage {
  const asks = survey !== null && survey.data.channel === 'chat' && survey.data.messageId === m.id
  return {
    id: m.id,
    from: m.direction === 'inbound' ? 'visitor' : 'agent',
    authorName: m.authorName,
    text: m.text,
    sentAt: m.sentAt,
    ...(asks ? { survey: { id: survey.event.id, rating: survey.data.rating } } : {}),
  }
}

/** Visitors of one inbox, talking over the shared chat socket. */
class WebchatConnector implements Connector, ChatInbox {
  readonly name: string
  readonly channels = ['chat'] as const
  private context: ConnectorContext | null = null
  private hub: ChatHub | null = null
  private httpServer: HttpServer | null = null
  private agentsWereOnline = false
  private readonly cleanups: (() => void)[] = []
  private readonly codes = new EmailCodes()
  private readonly limits: ChatLimits

  constructor(
    readonly inbox: string,
    private readonly settings: WebchatSettings,
    private readonly server: ConnectorServerSettings,
  ) {
    this.name = `webchat:${inbox}`
    this.limits = new ChatLimits(settings.rateLimits)
  }

  registerRoutes(app: import('fastify').FastifyInstance): void {
    // Every web chat inbox serves the same script (data-inbox picks the inbox): register it once.
    if (app.hasRoute({ method: 'GET', url: '/widget.js' })) return
    app.get('/widget.js', async (request, reply) => {
      const bundle = await widgetBundle()
      reply
        .header('content-type', 'application/javascript; charset=utf-8')
        .header('cache-control', 'public, max-age=300')
        .header('etag', bundle.etag)
      if (request.headers['if-none-match'] === bundle.etag) return reply.status(304).send()
      return reply.send(bundle.code)
    })
  }

  async start(context: ConnectorContext): Promise<void> {
    // Build before accepting visitors, so a broken widget fails the server start, not a page view.
    await widgetBundle()
    const codeInbox = this.settings.codeEmailInbox
    if (codeInbox && !context.notices?.canSend(codeInbox)) {
      throw new ConfigError(`inbox "${this.inbox}" (webchat): codeEmailInbox "${codeInbox}" is not an email inbox of this server`)
    }
    this.context = context
    this.httpServer = context.httpServer
    this.hub = hubFor(context.httpServer, context.log)
    this.hub.register(this)
    const agents = context.agents
    if (agents) {
      this.agentsWereOnline = agents.onlineCount(this.inbox) > 0
      this.cleanups.push(agents.onChange(() => this.presenceChanged()))
      this.cleanups.push(
        agents.onAgentTyping((e) => {
          this.agentTyping(e.conversationId, e.user.name, e.typing).catch((err: unknown) =>
            context.log.error({ err, inbox: this.inbox, conversationId: e.conversationId }, 'relaying an agent typing notice failed'),
          )
        }),
      )
    }
  }

  async stop(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0)) cleanup()
    if (this.httpServer) releaseHub(this.httpServer, this.inbox)
    this.hub = null
    this.context = null
  }

  /** The agent's reply goes to every open tab of the visitor; "delivered" once one of them has it. */
  async send(message: Message, _recipient: Identity): Promise<{ externalId: string }> {
    const { hub, context } = this
    if (!hub || !context) throw new Error('the web chat connector is not running')
    const visitorId = await this.visitorOfConversation(message.conversationId)
    if (!visitorId) throw new Error(`conversation ${message.conversationId} is not a web chat of inbox "${this.inbox}"`)
    const room = visitorRoom(visitorId)
    // Only a message nobody wrote can be a survey's question: an agent's reply needs no lookup.
    const chatMessage = toChatMessage(message, message.authorId === null ? await this.latestSurvey(message.customerId) : null)
    // Without a tab open the reply still counts as sent: the visitor gets it with the history on return.
    let delivered = false
    for (const tab of await hub.io.in(room).fetchSockets()) {
      // socket.io's types cannot express an optional ack on a timed emit; the callback is its documented shape.
      const timed = tab.timeout(DELIVERY_ACK_TIMEOUT_MS) as unknown as AckingEmitter
      timed.emit('message', chatMessage, (err: Error | null) => {
        if (err || delivered) return
        delivered = true
        void context.reportDelivery(message.id, { status: 'delivered' })
      })
    }
    return { externalId: `webchat-out:${message.id}` }
  }

  allowsOrigin(origin: string): boolean {
    return this.settings.allowedOrigins.some((o) => o === '*' || o === origin)
  }

  admit({ origin, address, token }: ChatArrival): Admission {
    if (origin === undefined && !this.settings.allowServerClients) {
      return refused(
        'unauthorized',
        `the chat of inbox "${this.inbox}" takes connections from web pages only: this one sent no Origin header (the inbox's allowServerClients setting lets such clients in)`,
      )
    }
    if (origin !== undefined && !this.allowsOrigin(origin)) {
      return refused('unauthorized', `origin ${origin} may not embed the chat of inbox "${this.inbox}"`)
    }
    const returning = token ? verifyVisitorToken(this.settings.secret, this.inbox, token) : null
    try {
      this.limits.admitConnection(address, !returning, Date.now())
    } catch (err) {
      if (err instanceof RateLimitedError) return refused('rate_limited', err.message, err.retryAfterSeconds)
      throw err
    }
    return { visitorId: returning || newVisitorId() }
  }

  attach(socket: ChatSocket): void {
    const context = this.context
    if (!context) return void socket.disconnect(true)
    const { visitorId } = socket.data
    let contact: ChatContact = {}
    /** The phone the embedding site vouched for on this connection, if any. */
    let signedPhone: string | null = null
    void socket.join([visitorRoom(visitorId), inboxRoom(this.inbox)])

    /**
     * Every event: payload parsed with the shared schema, errors answered in the ack (or as a
     * `problem` event when the sender gave none); the socket stays connected either way.
     */
    const on = (event: string, run: (payload: unknown) => unknown | Promise<unknown>): void => {
      socket.on(event as 'join', async (...args: unknown[]) => {
        const ack = typeof args.at(-1) === 'function' ? (args.at(-1) as (res: unknown) => void) : null
        const payload = args.length > (ack ? 1 : 0) ? args[0] : undefined
        let response: unknown
        try {
          this.limits.admitEvent(visitorId, Date.now())
          response = await run(payload)
        } catch (err) {
          let failure: ChatError
          if (err instanceof BadRequestError) {
            context.log.warn({ inbox: this.inbox, visitorId, event, error: err.message }, 'chat payload refused')
            failure = chatError('bad_request', err.message, event)
          } else if (err instanceof ProofError) {
            context.log.warn({ inbox: this.inbox, visitorId, event, error: err.message }, 'chat proof refused')
            failure = chatError('bad_request', err.message, event)
          } else if (err instanceof RateLimitedError) {
            context.log.info({ inbox: this.inbox, visitorId, event, error: err.message }, 'chat event refused: rate limited')
            failure = chatError('rate_limited', err.message, event, err.retryAfterSeconds)
          } else if (err instanceof DeferredIngestError) {
            failure = chatError('internal', 'the message was received but could not be stored yet; it will appear shortly', event)
          } else {
            context.log.error({ err, inbox: this.inbox, visitorId, event }, 'chat event failed')
            failure = chatError('internal', 'the server failed to handle this; please try again', event)
          }
          if (ack) ack(failure)
          else socket.emit('problem', failure)
          return
        }
        ack?.(response)
      })
    }

    on('join', async (payload) => {
      parseOrThrow(JoinRequest, payload ?? {}, 'join request')
      const session: ChatSession = {
        token: signVisitorToken(this.settings.secret, this.inbox, visitorId),
        visitorId,
        title: this.settings.title,
        greeting: this.settings.greeting,
        preChatForm: this.settings.preChatForm,
        consentQuestion: this.settings.preChatForm ? this.settings.preChatConsent : null,
        agentsOnline: this.agentsOnline(),
        history: await this.history(visitorId),
      }
      return session
    })

    on('identify', (payload): IdentifyResponse => {
      const { signedIdentity, ...typed } = parseOrThrow(IdentifyRequest, payload, 'pre-chat form')
      if (typed.phone) {
        try {
          normalizeAddress('phone', typed.phone, this.server.defaultCountry)
        } catch (err) {
          if (err instanceof InvalidAddressError) throw new BadRequestError(`invalid pre-chat form: phone: ${err.message}`)
          throw err
        }
      }
      contact = typed
      signedPhone = null
      if (signedIdentity) {
        const secret = this.settings.identitySecret
        if (!secret) throw new BadRequestError('this chat does not accept signed identities (the inbox has no identitySecret)')
        if (!verifySignedIdentity(secret, signedIdentity)) throw new BadRequestError('the signed identity does not match its signature')
        const name = typed.name ?? signedIdentity.name
        const phone = signedIdentity.phone ?? typed.phone
        contact = { ...typed, email: signedIdentity.email, ...(name ? { name } : {}), ...(phone ? { phone } : {}) }
        signedPhone = signedIdentity.phone ?? null
        this.codes.prove(visitorId, emailKey(signedIdentity.email), Date.now())
      }
      return {
        ok: true,
        email: !contact.email ? 'none' : this.emailProven(visitorId, contact) ? 'verified' : 'unverified',
        codeAvailable: this.settings.codeEmailInbox !== undefined,
      }
    })

    on('send_code', async (payload): Promise<SendCodeResponse> => {
      parseOrThrow(SendCodeRequest, payload ?? {}, 'code request')
      const inbox = this.settings.codeEmailInbox
      if (!inbox || !context.notices) throw new BadRequestError('this chat cannot send codes by email')
      if (!contact.email) throw new BadRequestError('give your email address in the form first')
      const code = this.codes.issue(visitorId, emailKey(contact.email), Date.now())
      await context.notices.send(inbox, {
        to: contact.email,
        subject: `${code} is your code for ${this.settings.title}`,
        text: `Your code is ${code}. Type it into the chat to confirm this email address. It expires in 10 minutes.\n\nIf you did not ask for it, you can ignore this email.`,
      })
      return { ok: true, sentTo: contact.email }
    })

    on('verify_code', (payload): OkResponse => {
      const { code } = parseOrThrow(VerifyCodeRequest, payload, 'code')
      const email = this.codes.verify(visitorId, code, Date.now())
      context.log.info({ inbox: this.inbox, visitorId }, 'chat visitor proved their email with a code')
      if (!contact.email || emailKey(contact.email) !== email) contact = { ...contact, email }
      return { ok: true }
    })

    on('send', async (payload) => {
      const req = parseOrThrow(SendRequest, payload, 'chat message')
      const message = await this.ingest(visitorId, contact, signedPhone, {
        externalId: `${THREAD_PREFIX}${visitorId}:${req.clientMessageId}`,
        text: req.text,
      })
      contact = withConsentCarried(contact)
      // The visitor's other tabs show it too.
      socket.to(visitorRoom(visitorId)).emit('message', message)
      return { message }
    })

    on('offline', async (payload) => {
      const req = parseOrThrow(OfflineMessageRequest, payload, 'offline message')
      contact = { ...contact, email: req.email, ...(req.name ? { name: req.name } : {}) }
      await this.ingest(visitorId, contact, signedPhone, {
        externalId: `${THREAD_PREFIX}${visitorId}:${req.clientMessageId}`,
        text: req.text,
        subject: 'Offline message from the website chat',
      })
      contact = withConsentCarried(contact)
      return { ok: true }
    })

    on('rate', async (payload): Promise<RateResponse> => {
      const { surveyId, rating } = parseOrThrow(RateRequest, payload, 'rating')
      const conversation = await this.conversationOfVisitor(visitorId)
      const visitors = (s: Survey): boolean => s.data.channel === 'chat' && s.event.conversationId === conversation?.id
      const outcome = await answerSurvey(context.commit, surveyId, rating, visitors)
      if (!('refused' in outcome)) return { ok: true, rating: outcome.answered }
      // Answered already (in another tab, or a click whose acknowledgement was lost): the rating that counts.
      const answered = outcome.status === 409 ? surveyOf(await context.store.getEvent(surveyId)) : null
      if (answered && visitors(answered) && answered.data.rating !== null) return { ok: true, rating: answered.data.rating }
      throw new BadRequestError(outcome.refused)
    })

    on('typing', async (payload) => {
      const req = parseOrThrow(TypingRequest, payload, 'typing notice')
      const conversation = await this.conversationOfVisitor(visitorId)
      // Before the first message there is no conversation for an agent to watch.
      if (conversation) {
        const name = contact.name ?? (await context.store.getCustomer(conversation.customerId))?.name ?? 'Visitor'
        context.agents?.notifyCustomerTyping(this.inbox, {
          conversationId: conversation.id,
          customerId: conversation.customerId,
          name,
          typing: req.typing,
        })
      }
      return { ok: true }
    })
  }

  private async ingest(
    visitorId: string,
    contact: ChatContact,
    signedPhone: string | null,
    item: { externalId: string; text: string; subject?: string },
  ): Promise<ChatMessage> {
    const context = this.context
    if (!context) throw new Error('the web chat connector is not running')
    // A resend of a stored message (its acknowledgement was lost) is answered, never refused: nothing accepted is lost.
    const stored = await context.store.messageByExternalId('chat', item.externalId)
    if (stored) return toChatMessage(stored)
    this.limits.admitMessage(visitorId, Date.now())
    const named = contact.name ? { name: contact.name } : {}
    // Typed addresses are claims: only what the visitor proved links them to a known customer.
    const claim = { unverified: 'typed_in_chat' as const }
    const emailClaim = this.emailProven(visitorId, contact) ? {} : claim
    const phoneClaim = contact.phone !== undefined && contact.phone === signedPhone ? {} : claim
    const inbound: InboundMessage = {
      channel: 'chat',
      inbox: this.inbox,
      externalId: item.externalId,
      from: { kind: 'chat', address: visitorId, ...(contact.name ? { name: contact.name } : {}) },
      alsoKnownAs: [
        ...(contact.email ? [{ kind: 'email' as const, address: contact.email, ...named, ...emailClaim }] : []),
        ...(contact.phone ? [{ kind: 'phone' as const, address: contact.phone, ...named, ...phoneClaim }] : []),
      ],
      threadKey: threadKeyOf(visitorId),
      text: item.text,
      ...(item.subject ? { subject: item.subject } : {}),
      ...(contact.marketingConsent && this.settings.preChatConsent ? { consent: { changes: { promotional: true }, via: 'pre_chat_form' as const } } : {}),
    }
    const result = await context.ingest(inbound)
    const message = await context.store.getMessage(result.itemId)
    if (!message) throw new Error(`ingested chat message ${result.itemId} is missing`)
    return toChatMessage(message)
  }

  private emailProven(visitorId: string, contact: ChatContact): boolean {
    return contact.email !== undefined && this.codes.isProven(visitorId, emailKey(contact.email), Date.now())
  }

  private async history(visitorId: string): Promise<ChatMessage[]> {
    const store = this.context?.store
    const conversation = await this.conversationOfVisitor(visitorId)
    if (!store || !conversation) return []
    const survey = await this.latestSurvey(conversation.customerId)
    const messages: ChatMessage[] = []
    let after: string | undefined
    do {
      const page = await store.listMessages(conversation.id, 500, after)
      for (const m of page.items) {
        // The conversation may hold the customer's email and SMS too: the widget shows its chat.
        if (m.channel !== 'chat') continue
        // A reply still queued arrives live when it is sent; a failed one never reached the visitor.
        if (m.direction === 'outbound' && (m.deliveryStatus === 'queued' || m.deliveryStatus === 'failed')) continue
        messages.push(toChatMessage(m, survey))
      }
      after = page.next ?? undefined
    } while (after)
    return messages.slice(-this.settings.historyLimit)
  }

  private async latestSurvey(customerId: string): Promise<Survey | null> {
    return surveyOf((await this.context?.store.latestEventOfType(customerId, 'csat_requested')) ?? null)
  }

  /** The conversation the visitor's chat session in this inbox routes to now, if they have written. */
  private async conversationOfVisitor(visitorId: string): Promise<Conversation | null> {
    const store = this.context?.store
    if (!store) return null
    const conversation = await store.conversationByThreadKey('chat', threadKeyOf(visitorId))
    if (!conversation) return null
    const threads = await store.conversationThreads(conversation.id)
    return threads.some((t) => t.channel === 'chat' && t.threadKey === threadKeyOf(visitorId) && t.inbox === this.inbox) ? conversation : null
  }

  /** The visitor of this inbox whose chat session the conversation holds (its latest, when several). */
  private async visitorOfConversation(conversationId: string): Promise<string | null> {
    const threads = (await this.context?.store.conversationThreads(conversationId)) ?? []
    const chat = threads.find((t) => t.channel === 'chat' && t.inbox === this.inbox && t.threadKey.startsWith(THREAD_PREFIX))
    return chat ? chat.threadKey.slice(THREAD_PREFIX.length) : null
  }

  private agentsOnline(): boolean {
    // Without presence (a connector run outside the server) nobody can tell: never turn visitors away.
    return this.context?.agents ? this.context.agents.onlineCount(this.inbox) > 0 : true
  }

  private presenceChanged(): void {
    const online = this.agentsOnline()
    if (online === this.agentsWereOnline) return
    this.agentsWereOnline = online
    this.hub?.io.to(inboxRoom(this.inbox)).emit('presence', { agentsOnline: online })
  }

  private async agentTyping(conversationId: string, name: string, typing: boolean): Promise<void> {
    const visitorId = await this.visitorOfConversation(conversationId)
    if (visitorId) this.hub?.io.to(visitorRoom(visitorId)).emit('typing', { typing, name })
  }
}

export const webchatDefinition: ConnectorDefinition<typeof WebchatSettings> = {
  type: 'webchat',
  channels: ['chat'],
  settings: WebchatSettings,
  create(inbox: InboxSettings, settings: WebchatSettings, server: ConnectorServerSettings): Connector {
    return new WebchatConnector(inbox.name, settings, server)
  },
}
