import { z } from 'zod'
import { Attachment, CallOutcome, Channel, ConsentKey, Direction, IdentityKind, Timestamp, UnverifiedReason } from './domain'
import { ConsentSource } from './consent-history'

/**
 * A normalized inbound item of any channel: what connectors, the REST "API channel" and the
 * demo generator hand to the server's ingest pipeline.
 */
export const InboundContact = z.object({
  kind: IdentityKind,
  /** Raw address; the server normalizes it (email case, E.164 phone). */
  address: z.string().trim().min(1).max(320),
  name: z.string().trim().max(200).optional(),
  /** Set when the address is only claimed: it is recorded, but never links the item to an existing customer. */
  unverified: UnverifiedReason.optional(),
})
export type InboundContact = z.infer<typeof InboundContact>

export const InboundCall = z.object({
  status: z.enum(['ringing', 'in-progress', 'completed']),
  outcome: CallOutcome.optional(),
  durationSeconds: z.number().int().nonnegative().optional(),
  recordingUrl: z.string().url().optional(),
  transcript: z.string().max(200_000).optional(),
  /** Calls we place are `outbound`; absent means the customer called (inbound). Fixed by the call's first item. */
  direction: Direction.optional(),
})

/**
 * A consent change the item itself asks for (an SMS STOP or START). The ingest applies it in
 * the transaction that stores the item, so it lands exactly once: with the first delivery,
 * never with a provider's retry, and also when the item is stored late from the dead letters.
 */
export const InboundConsent = z.object({
  changes: z.partialRecord(ConsentKey, z.boolean()).refine((c) => Object.keys(c).length > 0, 'name at least one consent key'),
  /** The keyword that asked for it, as the timeline shows it (e.g. "STOP"). */
  keyword: z.string().trim().min(1).max(100).optional(),
  /** Where it was given when not by a keyword (the web chat's pre-chat form); an agent's word comes by `setConsent`. */
  via: ConsentSource.exclude(['agent']).optional(),
})
export type InboundConsent = z.infer<typeof InboundConsent>

/**
 * An automatic answer the item asks for (the help text answering an SMS HELP). The ingest
 * queues it in the transaction that stores the item, so it is sent exactly once: with the first
 * delivery, never for a provider's retry, and also when the item is stored late from the dead letters.
 */
export const InboundAutoReply = z.object({
  text: z.string().trim().min(1).max(1600),
})
export type InboundAutoReply = z.infer<typeof InboundAutoReply>

export const InboundMessage = z
  .object({
    channel: Channel,
    /** Which inbox (e.g. support@ mailbox, a phone number) received it. */
    inbox: z.string().trim().min(1).max(200).default('default'),
    /** Provider id; a retry with the same (channel, externalId) is ingested once. */
    externalId: z.string().trim().min(1).max(998),
    /** The sender; only a voice item updating a call already stored (by externalId) may leave it out. */
    from: InboundContact.optional(),
    /** Further identities the sender disclosed (e.g. the chat pre-chat email). */
    alsoKnownAs: z.array(InboundContact).max(10).default([]),
    subject: z.string().max(998).optional(),
    text: z.string().max(1_000_000).default(''),
    /** Raw HTML; the server sanitizes it before storing. */
    html: z.string().max(5_000_000).optional(),
    attachments: z.array(Attachment).max(100).default([]),
    /** Email threading headers, or a chat session id, as the channel provides. */
    inReplyTo: z.string().max(998).optional(),
    references: z.array(z.string().max(998)).max(200).default([]),
    threadKey: z.string().max(998).optional(),
    /** When the customer sent it; defaults to the time of ingest. */
    sentAt: Timestamp.optional(),
    /** Set for voice: the inbound item is a call record rather than a message. */
    call: InboundCall.optional(),
    /** Set when the message asks to change the customer's consent (SMS keywords). */
    consent: InboundConsent.optional(),
    /** Set when the item is to be answered automatically on its own channel. */
    autoReply: InboundAutoReply.optional(),
  })
  .refine((m) => m.from !== undefined || m.channel === 'voice', {
    message: 'from is required (only a voice item updating a call already stored may leave it out)',
    path: ['from'],
  })
  .refine((m) => (m.channel === 'voice') === (m.call !== undefined), {
    message: 'voice items carry a call object, and only voice items do',
    path: ['call'],
  })
  .refine((m) => m.consent === undefined || m.call === undefined, {
    message: 'a consent change is carried by a message, not by a call record',
    path: ['consent'],
  })
  .refine((m) => m.autoReply === undefined || m.call === undefined, {
    message: 'an automatic reply answers a message, not a call record',
    path: ['autoReply'],
  })
  .refine((m) => m.channel === 'voice' || m.text.length > 0 || m.html || m.attachments.length > 0, {
    message: 'a message needs text, html or an attachment',
    path: ['text'],
  })
export type InboundMessage = z.input<typeof InboundMessage>
export type ParsedInboundMessage = z.output<typeof InboundMessage>

export const IngestResult = z.object({
  customerId: z.string(),
  conversationId: z.string(),
  /** The message id, or the call id for voice items. */
  itemId: z.string(),
  duplicate: z.boolean(),
})
export type IngestResult = z.infer<typeof IngestResult>
