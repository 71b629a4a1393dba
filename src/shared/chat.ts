import { z } from 'zod'
import { CsatRating } from './csat'

/**
 * The web chat widget's socket.io protocol, between a visitor's browser and the sync server.
 * A second socket.io server on its own path: visitors never touch the agents' sync socket.
 * The server parses every payload with these schemas; answers travel in acknowledgements.
 */

export const CHAT_SOCKET_PATH = '/chat-socket'

/** Sent in the socket.io handshake `auth`: which inbox the widget belongs to, and the visitor's token if it has one. */
export const ChatHandshake = z.object({
  inbox: z.string().trim().min(1).max(200),
  /** The signed token from an earlier visit (localStorage); absent or invalid starts a new visitor. */
  token: z.string().max(400).optional(),
})
export type ChatHandshake = z.infer<typeof ChatHandshake>

const VisitorName = z.string().trim().min(1, 'name must not be empty').max(200)
const VisitorEmail = z.email('email must be an email address').max(320)

/** The pre-chat form: who the visitor says they are. All optional; an email or phone links them to a known customer. */
export const ChatContact = z.object({
  name: VisitorName.optional(),
  email: VisitorEmail.optional(),
  /** Any common format; the server normalizes it to E.164. */
  phone: z.string().trim().min(3).max(40).optional(),
  /** The visitor ticked the form's consent question (`ChatSession.consentQuestion`); unticked asks nothing. */
  marketingConsent: z.literal(true).optional(),
})
export type ChatContact = z.infer<typeof ChatContact>

/** One message as the visitor sees it: no agent ids, no delivery internals. */
export const ChatMessage = z.object({
  id: z.string(),
  from: z.enum(['visitor', 'agent']),
  authorName: z.string(),
  text: z.string(),
  sentAt: z.number().int().nonnegative(),
  /** A satisfaction survey: the widget offers ratings 1–5 under the question until one is given (`rate`). */
  survey: z.object({ id: z.string(), rating: CsatRating.nullable() }).optional(),
})
export type ChatMessage = z.infer<typeof ChatMessage>

/** Answer to `join`, the first thing a widget asks after connecting. */
export const ChatSession = z.object({
  /** Store it (localStorage) and send it on the next connect to continue this conversation. */
  token: z.string(),
  visitorId: z.string(),
  title: z.string(),
  greeting: z.string().nullable(),
  preChatForm: z.boolean(),
  /** A tick box on the pre-chat form asking for marketing consent, in the inbox's words; null: not asked. */
  consentQuestion: z.string().nullable(),
  /** True when at least one agent who can answer this inbox is connected now. */
  agentsOnline: z.boolean(),
  /** The conversation so far, oldest first. */
  history: z.array(ChatMessage),
})
export type ChatSession = z.infer<typeof ChatSession>

export const JoinRequest = z.object({})

/**
 * A signed-in user of the embedding site, vouched for by the site's backend: `signature` is the
 * hex HMAC-SHA256 of `${userId}\n${email}` (or `${userId}\n${email}\n${phone}` when the site
 * knows the phone too) under the inbox's identity secret. Unlike a typed email or phone, it
 * links the visitor to the customer who has them.
 */
export const SignedIdentity = z.object({
  userId: z.string().trim().min(1).max(200).refine((id) => !id.includes('\n'), 'userId must be one line'),
  email: VisitorEmail,
  phone: z.string().trim().min(3).max(40).optional(),
  name: VisitorName.optional(),
  signature: z.string().regex(/^[0-9a-f]{64}$/i, 'signature must be 64 hex digits (HMAC-SHA256)'),
})
export type SignedIdentity = z.infer<typeof SignedIdentity>

/**
 * Stores the pre-chat form for this visitor; the next message carries it to identity resolution.
 * A typed email or phone is only a claim until proven (a signed identity, or a code sent to it).
 */
export const IdentifyRequest = ChatContact.extend({ signedIdentity: SignedIdentity.optional() })
export type IdentifyRequest = z.infer<typeof IdentifyRequest>

export const IdentifyResponse = z.object({
  ok: z.literal(true),
  /** Whether the email is proven for this visitor: `unverified` links nobody until it is. */
  email: z.enum(['none', 'verified', 'unverified']),
  /** True when the inbox can prove the email by a one-time code (`send_code`, then `verify_code`). */
  codeAvailable: z.boolean(),
})
export type IdentifyResponse = z.infer<typeof IdentifyResponse>

/** Sends a one-time code to the email of the pre-chat form. */
export const SendCodeRequest = z.object({})

export const SendCodeResponse = z.object({ ok: z.literal(true), sentTo: z.string() })
export type SendCodeResponse = z.infer<typeof SendCodeResponse>

export const VerifyCodeRequest = z.object({ code: z.string().trim().regex(/^\d{6}$/, 'the code is 6 digits') })
export type VerifyCodeRequest = z.infer<typeof VerifyCodeRequest>

export const SendRequest = z.object({
  /** Chosen by the widget: a retried send with the same id is stored once. */
  clientMessageId: z.string().uuid('clientMessageId must be a UUID'),
  text: z.string().trim().min(1, 'the message is empty').max(10_000, 'the message is too long (10,000 characters at most)'),
})
export type SendRequest = z.infer<typeof SendRequest>

export const SendResponse = z.object({ message: ChatMessage })
export type SendResponse = z.infer<typeof SendResponse>

export const TypingRequest = z.object({ typing: z.boolean() })
export type TypingRequest = z.infer<typeof TypingRequest>

/** Left when no agent is online: the team answers later (by email, since the visitor may be gone). */
export const OfflineMessageRequest = z.object({
  clientMessageId: z.string().uuid('clientMessageId must be a UUID'),
  name: VisitorName.optional(),
  email: VisitorEmail,
  text: z.string().trim().min(1, 'the message is empty').max(10_000, 'the message is too long (10,000 characters at most)'),
})
export type OfflineMessageRequest = z.infer<typeof OfflineMessageRequest>

/** The visitor's answer to a survey message. */
export const RateRequest = z.object({ surveyId: z.string().min(1).max(128), rating: CsatRating })
export type RateRequest = z.infer<typeof RateRequest>

/** The rating recorded: the one sent, or the one given first when the survey was answered already. */
export const RateResponse = z.object({ ok: z.literal(true), rating: CsatRating })
export type RateResponse = z.infer<typeof RateResponse>

export const OkResponse = z.object({ ok: z.literal(true) })
export type OkResponse = z.infer<typeof OkResponse>

export const ChatError = z.object({
  error: z.object({
    code: z.enum(['bad_request', 'unauthorized', 'rate_limited', 'internal']),
    message: z.string(),
    /** The event whose payload was refused. */
    event: z.string().optional(),
    /** With `rate_limited`: when the same request will be accepted again. Nothing refused was stored. */
    retryAfterSeconds: z.number().int().positive().optional(),
  }),
})
export type ChatError = z.infer<typeof ChatError>
export type ChatAck<T> = T | ChatError

/** An agent typing in a chat conversation, as the visitor sees it. */
export const AgentTyping = z.object({ typing: z.boolean(), name: z.string() })
export type AgentTyping = z.infer<typeof AgentTyping>

export const Presence = z.object({ agentsOnline: z.boolean() })
export type Presence = z.infer<typeof Presence>

export interface ChatClientToServerEvents {
  join: (req: z.input<typeof JoinRequest>, ack: (res: ChatAck<ChatSession>) => void) => void
  identify: (req: IdentifyRequest, ack: (res: ChatAck<IdentifyResponse>) => void) => void
  send_code: (req: z.input<typeof SendCodeRequest>, ack: (res: ChatAck<SendCodeResponse>) => void) => void
  verify_code: (req: VerifyCodeRequest, ack: (res: ChatAck<OkResponse>) => void) => void
  send: (req: SendRequest, ack: (res: ChatAck<SendResponse>) => void) => void
  typing: (req: TypingRequest, ack?: (res: ChatAck<OkResponse>) => void) => void
  offline: (req: OfflineMessageRequest, ack: (res: ChatAck<OkResponse>) => void) => void
  rate: (req: RateRequest, ack: (res: ChatAck<RateResponse>) => void) => void
}

export interface ChatServerToClientEvents {
  /** A new message in the visitor's conversation: an agent's reply, or the visitor's own from another tab. */
  /** Acknowledge it: the agent then sees the reply as delivered. */
  message: (message: ChatMessage, ack?: () => void) => void
  typing: (typing: AgentTyping) => void
  presence: (presence: Presence) => void
  /** A payload sent without an acknowledgement callback was refused. */
  problem: (error: ChatError) => void
}
