import { newId } from '../../shared/ids'
import type { Actor } from '../../shared/actors'
import type { Call, Conversation, Customer, HtmlOmitted, Message, TimelineEvent } from '../../shared/domain'
import { InboundMessage, type IngestResult, type ParsedInboundMessage } from '../../shared/ingest'
import { NotFoundError } from '../connectors/delivery'
import { BadRequestError, parseOrThrow } from '../errors'
import { InvalidAddressError } from '../identity/normalize'
import { resolveIdentity, type NormalizedContact } from '../identity/resolve'
import { findSuggestions, recordSuggestions } from '../identity/suggest'
import { applyConsentChange } from '../rules/consent-change'
import type { StoreWriter } from '../store/store'
import type { Commit } from '../sync/commit'
import { queueAutoReply } from './auto-reply'
import { ratingOfReply, type SurveyChannel } from '../../shared/csat'
import { openSurveyOn, recordAnswer } from '../csat/surveys'
import type { HtmlSanitizer } from './html-sanitizer'
import { DEFAULT_MATTER_WINDOWS, threadInbound, type MatterWindows } from './threading'

export interface IngestOptions {
  /** Bound to the actor that handed the item over (a connector or an integration). */
  commit: Commit
  /** The same actor, named on the events the item causes (a consent change). */
  actor: Actor
  defaultCountry: string
  /** How long conversations keep taking a customer's messages; the defaults when absent. */
  windows?: MatterWindows
  now?: () => number
}

/**
 * An inbound item ready for its transaction: parsed, and its HTML already sanitized (or dropped,
 * keeping the text) by the worker pool. Costly work happens here, never inside the transaction,
 * which holds the single writer and, with better-sqlite3, the event loop.
 */
export type PreparedInbound = Omit<ParsedInboundMessage, 'html'> & {
  html: string | null
  htmlOmitted: HtmlOmitted | null
}

/** Parses an inbound item (BadRequestError names what is wrong) and sanitizes its HTML off the event loop. */
export async function prepareInbound(raw: unknown, sanitizer: HtmlSanitizer): Promise<PreparedInbound> {
  const item = parseOrThrow(InboundMessage, raw, 'inbound message')
  if (!item.html) return withoutHtml(item)
  const html = await sanitizer.prepare(item.html)
  if (html.omitted === null) return { ...item, html: html.html, htmlOmitted: null }
  // A message whose HTML was its only content keeps the HTML's words.
  const text = item.text.trim() ? item.text : html.text || '(the message had no readable text)'
  return { ...item, text, html: null, htmlOmitted: html.omitted }
}

/** An item that carries no HTML is ready as parsed: no worker is needed (calls, texts, chat). */
export function prepareWithoutHtml(raw: unknown): PreparedInbound {
  const item = parseOrThrow(InboundMessage, raw, 'inbound message')
  if (item.html) throw new Error('an item with HTML must be prepared by prepareInbound, which sanitizes it')
  return withoutHtml(item)
}

function withoutHtml(item: ParsedInboundMessage): PreparedInbound {
  return { ...item, html: null, htmlOmitted: null }
}

const CALL_PROGRESS = { ringing: 0, 'in-progress': 1, completed: 2 } as const

/**
 * The ingest pipeline: parse → drop duplicates → resolve identity → thread → store the item,
 * the conversation and customer updates, the consent change the item asks for, and their change
 * rows in ONE transaction. Fan-out happens in the commit, after the transaction is durable.
 */
export async function ingestInbound(item: PreparedInbound, options: IngestOptions): Promise<IngestResult> {
  const now = (options.now ?? Date.now)()
  try {
    const windows = options.windows ?? DEFAULT_MATTER_WINDOWS
    return await options.commit((w) => ingestParsed(w, item, now, options.defaultCountry, windows, options.actor))
  } catch (err) {
    if (err instanceof InvalidAddressError) throw new BadRequestError(err.message, [{ path: err.path, message: err.message }])
    throw err
  }
}

async function ingestParsed(
  w: StoreWriter,
  item: PreparedInbound,
  now: number,
  defaultCountry: string,
  windows: MatterWindows,
  actor: Actor,
): Promise<IngestResult> {
  if (item.channel !== 'voice') {
    const original = await w.messageByExternalId(item.channel, item.externalId)
    if (original) {
      return { customerId: original.customerId, conversationId: original.conversationId, itemId: original.id, duplicate: true }
    }
  }

  if (item.channel === 'voice') {
    // A later webhook of a stored call belongs to that call, whoever it names (recording and
    // transcription callbacks name nobody).
    const call = await w.callByExternalId(item.externalId)
    const conversation = call ? await w.getConversation(call.conversationId) : null
    if (call && conversation) return updateCall(w, item, call, conversation, now)
  }
  const from = item.from
  if (!from) throw new NotFoundError(`no call ${item.externalId} is known yet: an update naming no caller needs the call stored first`)

  const sentAt = item.sentAt ?? now
  const callDirection = item.call?.direction ?? 'inbound'
  // A customer waits for an answer after writing, or after calling us and reaching nobody.
  const waiting = item.channel !== 'voice' || (callDirection === 'inbound' && missedOrVoicemail(item.call?.outcome))
  const resolution = await resolveIdentity(w, from, item.alsoKnownAs, defaultCountry)
  let customer: Customer | null = resolution.customerId ? await w.getCustomer(resolution.customerId) : null
  if (!customer) {
    customer = {
      id: newId(),
      name: resolution.newCustomerName,
      labels: [],
      attributes: {},
      consent: {},
      createdAt: now,
      updatedAt: now,
      lastActivityAt: sentAt,
    }
    await w.put('customer', customer)
  }
  for (const c of resolution.newIdentities) {
    await w.put('identity', {
      id: newId(),
      customerId: customer.id,
      kind: c.kind,
      address: c.address,
      displayName: c.name,
      createdAt: now,
      unverified: c.unverified,
    })
  }
  for (const claim of resolution.proven) await w.put('identity', { ...claim, customerId: customer.id, unverified: null })

  // A digit in reply to a satisfaction survey is its answer: kept with the survey, reopening nothing.
  const rating = item.channel === 'sms' || item.channel === 'whatsapp' ? ratingOfReply(item.text) : null
  const survey = rating === null ? null : await openSurveyOn(w, customer.id, item.channel as SurveyChannel, sentAt)
  if (survey && rating !== null) {
    const surveyed = await w.getConversation(survey.event.conversationId)
    if (surveyed) {
      const message = inboundMessage(item, surveyed.id, customer, resolution.sender, sentAt, now)
      await w.put('message', message)
      await w.put('conversation', { ...surveyed, lastMessageAt: Math.max(surveyed.lastMessageAt, sentAt), updatedAt: now })
      await recordAnswer(w, survey, rating, sentAt, message.id)
      return { customerId: customer.id, conversationId: surveyed.id, itemId: message.id, duplicate: false }
    }
  }

  let decision = await threadInbound(item, customer.id, sentAt, windows, w)
  if (decision.kind === 'call-update') {
    return updateCall(w, item, decision.call, decision.conversation, now)
  }
  // Thread headers are no proof either: a sender whose address is only claimed never writes into someone else's conversation.
  if (resolution.sender.unverified && decision.kind === 'existing' && decision.conversation.customerId !== customer.id) {
    decision = { kind: 'new', threadKey: item.externalId, previous: null }
  }

  let conversation: Conversation
  if (decision.kind === 'new') {
    conversation = {
      id: newId(),
      customerId: customer.id,
      channel: item.channel,
      inbox: item.inbox,
      subject: item.subject?.trim() || null,
      status: 'open',
      snoozedUntil: null,
      assigneeId: null,
      team: null,
      threadKey: decision.threadKey,
      labels: [],
      priority: 'normal',
      previousConversationId: decision.previous?.id ?? null,
      lastMessageAt: sentAt,
      waitingSince: waiting ? sentAt : null,
      createdAt: now,
      updatedAt: now,
    }
    await w.put('conversation', conversation)
  } else {
    conversation = await touchConversation(w, decision.conversation, sentAt, waiting, now, item.channel)
  }
  await w.putThread({ channel: item.channel, threadKey: decision.threadKey, conversationId: conversation.id, inbox: item.inbox, lastAt: sentAt })
  if (customer.lastActivityAt < sentAt) {
    await w.put('customer', { ...customer, lastActivityAt: Math.max(customer.lastActivityAt, sentAt), updatedAt: now })
  }
  // Probable matches that are not exact are only suggested to the agent, never merged.
  await recordSuggestions(w, { customerId: customer.id, conversationId: conversation.id }, await findSuggestions(w, customer.id, resolution), now)

  if (item.channel === 'voice' && item.call) {
    const call: Call = {
      id: newId(),
      conversationId: conversation.id,
      customerId: customer.id,
      direction: callDirection,
      status: item.call.status,
      outcome: item.call.outcome ?? null,
      durationSeconds: item.call.durationSeconds ?? null,
      recordingUrl: item.call.recordingUrl ?? null,
      transcript: item.call.transcript ?? null,
      notes: null,
      agentId: null,
      externalId: item.externalId,
      startedAt: sentAt,
      updatedAt: now,
    }
    await w.put('call', call)
    return { customerId: customer.id, conversationId: conversation.id, itemId: call.id, duplicate: false }
  }

  const message = inboundMessage(item, conversation.id, customer, resolution.sender, sentAt, now)
  await w.put('message', message)
  if (item.consent) {
    await applyConsentChange(w, {
      customerId: customer.id,
      conversationId: conversation.id,
      changes: item.consent.changes,
      source: {
        channel: item.channel,
        ...(item.consent.keyword ? { keyword: item.consent.keyword } : {}),
        ...(item.consent.via ? { via: item.consent.via } : {}),
        externalId: item.externalId,
        messageId: message.id,
      },
      at: sentAt,
      now,
      actor,
    })
  }
  if (item.autoReply) await queueAutoReply(w, conversation, message, item.autoReply, now)
  return { customerId: customer.id, conversationId: conversation.id, itemId: message.id, duplicate: false }
}

function inboundMessage(
  item: PreparedInbound,
  conversationId: string,
  customer: Customer,
  sender: NormalizedContact,
  sentAt: number,
  now: number,
): Message {
  return {
    id: newId(),
    conversationId,
    customerId: customer.id,
    channel: item.channel,
    direction: 'inbound',
    authorId: null,
    authorName: sender.name ?? customer.name,
    subject: item.subject ?? null,
    text: item.text,
    html: item.html,
    htmlOmitted: item.htmlOmitted,
    unverifiedSender: sender.unverified,
    attachments: item.attachments,
    externalId: item.externalId,
    deliveryStatus: 'received',
    deliveryError: null,
    sentAt,
    updatedAt: now,
  }
}

/**
 * New customer activity: later last-message time, waiting for an answer, reopened if it was
 * closed, and — when they wrote on another channel than last time — a "switched" event, which
 * the timeline shows and reports count.
 */
async function touchConversation(
  w: StoreWriter,
  conversation: Conversation,
  sentAt: number,
  waiting: boolean,
  now: number,
  channel: Conversation['channel'] = conversation.channel,
): Promise<Conversation> {
  const reopen = conversation.status !== 'open'
  const updated: Conversation = {
    ...conversation,
    channel,
    status: 'open',
    snoozedUntil: null,
    lastMessageAt: Math.max(conversation.lastMessageAt, sentAt),
    waitingSince: waiting ? (conversation.waitingSince ?? sentAt) : conversation.waitingSince,
    updatedAt: now,
  }
  await w.put('conversation', updated)
  const event = (type: TimelineEvent['type'], data: Record<string, unknown>): Promise<unknown> =>
    w.put('event', { id: newId(), conversationId: conversation.id, customerId: conversation.customerId, type, actorId: null, data, createdAt: now })
  if (channel !== conversation.channel) await event('channel_switched', { from: conversation.channel, to: channel })
  if (reopen) await event('status_changed', { from: conversation.status, to: 'open', reason: 'customer_replied' })
  return updated
}

/** A later webhook for a call already stored: fold it in, never moving the call backwards. */
async function updateCall(w: StoreWriter, item: PreparedInbound, call: Call, conversation: Conversation, now: number): Promise<IngestResult> {
  const ids = { customerId: call.customerId, conversationId: conversation.id, itemId: call.id }
  const update = item.call
  if (!update) return { ...ids, duplicate: true }
  const status = CALL_PROGRESS[update.status] >= CALL_PROGRESS[call.status] ? update.status : call.status
  const next: Call = {
    ...call,
    status,
    outcome: update.outcome ?? call.outcome,
    durationSeconds: update.durationSeconds ?? call.durationSeconds,
    recordingUrl: update.recordingUrl ?? call.recordingUrl,
    transcript: update.transcript ?? call.transcript,
  }
  const changed = (Object.keys(next) as (keyof Call)[]).some((k) => next[k] !== call[k])
  if (!changed) return { ...ids, duplicate: true }
  await w.put('call', { ...next, updatedAt: now })
  if (call.direction === 'inbound' && next.outcome !== call.outcome && missedOrVoicemail(next.outcome)) {
    await touchConversation(w, conversation, call.startedAt, true, now)
  }
  return { ...ids, duplicate: false }
}

function missedOrVoicemail(outcome: Call['outcome'] | undefined): boolean {
  return outcome === 'missed' || outcome === 'voicemail'
}
