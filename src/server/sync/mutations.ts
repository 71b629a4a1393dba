import { newId } from '../../shared/ids'
import { z } from 'zod'
import type { Call, Channel, Conversation, Message, Note, TimelineEvent, User } from '../../shared/domain'
import { streamKey, stripReplyPrefixes } from '../ingest/threading'
import { MUTATION_ARGS, type MutationArgs, type MutationName } from '../../shared/mutations'
import type { MutationResult } from '../../shared/sync'
import { HTML_LIMITS, nestingDepth, prepareSanitizer, sanitizeHtml } from '../ingest/sanitize-html'
import type { ConversationThread, StoreWriter } from '../store/store'
import { canSeeConversation, canSeeCustomer, canSeeInbox } from './access'
import type { Commit } from './commit'
import { moveItems, undoMove } from './conversation-moves'
import { deleteView, saveView } from './view-mutations'
import { rateSummary, regenerateSummary } from './summary-mutations'
import { customerLabel, dismissSuggestion, mergeCustomers, setConsent, unmergeCustomers, verifyIdentity } from './customer-mutations'
import { timelineOpened } from './audit-mutations'
import type { AuditOrigin } from '../../shared/audit'
import { appOrigin, SERVER_ORIGIN } from '../audit/origin'

export interface MutationOrigin {
  clientId: string
  mutationId: number
  /** Where the device connected from, for the audit log. */
  ip?: string | null
  userAgent?: string | null
}

/** Why a mutation cannot apply (it will not apply on a retry either); null when it applied. */
export type Outcome = { rejected: string } | { duplicate: true } | null

interface Ctx {
  w: StoreWriter
  user: User
  now: number
  /** How the action reached the server, for the audit entries it writes. */
  origin: AuditOrigin
}

/**
 * Applies one agent action for `user`, at most once per (clientId, mutationId): the action,
 * its change rows and the client's last mutation id commit in ONE transaction, so a retry
 * after a lost acknowledgement finds the id recorded and does nothing. Rejections are recorded
 * too, so the client's queue moves on. REST calls (no origin) are not deduplicated by id.
 */
export async function applyMutation(
  commit: Commit,
  user: User,
  mutation: { name: MutationName; args: unknown },
  origin?: MutationOrigin,
  now: () => number = Date.now,
  audit: AuditOrigin = origin ? appOrigin(origin.clientId, origin.ip, origin.userAgent) : SERVER_ORIGIN,
): Promise<MutationResult> {
  const id = origin?.mutationId ?? 0
  // A reply's HTML is sanitized inside the transaction: the sanitizer is loaded before it begins.
  if (mutation.name === 'reply') await prepareSanitizer()
  return commit(async (w): Promise<MutationResult> => {
    if (origin && origin.mutationId <= await w.lastMutationId(origin.clientId)) return { id, outcome: 'duplicate' }
    const outcome = await applyInTransaction(w, user, mutation, now(), audit)
    if (origin) await w.setLastMutationId(origin.clientId, user.id, origin.mutationId)
    if (outcome === null) return { id, outcome: 'applied' }
    if ('duplicate' in outcome) return { id, outcome: 'duplicate' }
    return { id, outcome: 'rejected', error: outcome.rejected }
  })
}

/** Applies a mutation inside a transaction the caller owns (REST combines several in one). */
export async function applyInTransaction(
  w: StoreWriter,
  user: User,
  mutation: { name: MutationName; args: unknown },
  now: number,
  origin: AuditOrigin = SERVER_ORIGIN,
): Promise<Outcome> {
  const schema = MUTATION_ARGS[mutation.name] as z.ZodType | undefined
  if (!schema) return { rejected: `unknown mutation "${String(mutation.name)}"` }
  const parsed = schema.safeParse(mutation.args)
  if (!parsed.success) return { rejected: `invalid ${mutation.name} arguments: ${z.prettifyError(parsed.error)}` }
  const ctx: Ctx = { w, user, now, origin }
  switch (mutation.name) {
    case 'reply':
      return reply(ctx, parsed.data as MutationArgs<'reply'>)
    case 'note':
      return note(ctx, parsed.data as MutationArgs<'note'>)
    case 'assign':
      return assign(ctx, parsed.data as MutationArgs<'assign'>)
    case 'setStatus':
      return setStatus(ctx, parsed.data as MutationArgs<'setStatus'>)
    case 'label':
      return label(ctx, parsed.data as MutationArgs<'label'>)
    case 'setPriority':
      return setPriority(ctx, parsed.data as MutationArgs<'setPriority'>)
    case 'moveItems':
      return moveItems(ctx, parsed.data as MutationArgs<'moveItems'>)
    case 'undoMove':
      return undoMove(ctx, parsed.data as MutationArgs<'undoMove'>)
    case 'saveView':
      return saveView(ctx, parsed.data as MutationArgs<'saveView'>)
    case 'deleteView':
      return deleteView(ctx, parsed.data as MutationArgs<'deleteView'>)
    case 'callNote':
      return callNote(ctx, parsed.data as MutationArgs<'callNote'>)
    case 'logCall':
      return logCall(ctx, parsed.data as MutationArgs<'logCall'>)
    case 'customerLabel':
      return customerLabel(ctx, parsed.data as MutationArgs<'customerLabel'>)
    case 'mergeCustomers':
      return mergeCustomers(ctx, parsed.data as MutationArgs<'mergeCustomers'>)
    case 'unmergeCustomers':
      return unmergeCustomers(ctx, parsed.data as MutationArgs<'unmergeCustomers'>)
    case 'verifyIdentity':
      return verifyIdentity(ctx, parsed.data as MutationArgs<'verifyIdentity'>)
    case 'dismissSuggestion':
      return dismissSuggestion(ctx, parsed.data as MutationArgs<'dismissSuggestion'>)
    case 'regenerateSummary':
      return regenerateSummary(ctx, parsed.data as MutationArgs<'regenerateSummary'>)
    case 'rateSummary':
      return rateSummary(ctx, parsed.data as MutationArgs<'rateSummary'>)
    case 'setConsent':
      return setConsent(ctx, parsed.data as MutationArgs<'setConsent'>)
    case 'timelineOpened':
      return timelineOpened(ctx, parsed.data as MutationArgs<'timelineOpened'>)
  }
}

async function visibleConversation(ctx: Ctx, conversationId: string): Promise<Conversation | { rejected: string }> {
  const conversation = await ctx.w.getConversation(conversationId)
  if (!conversation) return { rejected: `unknown conversation ${conversationId}` }
  return visible(ctx, conversation)
}

function visible({ user }: Ctx, conversation: Conversation): Conversation | { rejected: string } {
  if (!canSeeConversation(user, conversation)) {
    return { rejected: `conversation ${conversation.id} is in inbox "${conversation.inbox}", which you cannot access` }
  }
  return conversation
}

async function event(ctx: Ctx, conversation: Conversation, type: TimelineEvent['type'], data: Record<string, unknown>): Promise<void> {
  await ctx.w.put('event', {
    id: newId(),
    conversationId: conversation.id,
    customerId: conversation.customerId,
    type,
    actorId: ctx.user.id,
    data,
    createdAt: ctx.now,
  })
}

interface NewConversation {
  conversationId: string
  customerId: string
  channel: Channel
  inbox: string | undefined
  subject: string | null
}

/**
 * The conversation an agent action starts, when `conversationId` is not taken yet; the
 * existing one when a retry of the same start finds it. Written in the caller's transaction,
 * so the conversation never exists without the message or call that started it.
 */
async function startedConversation(ctx: Ctx, start: NewConversation): Promise<Conversation | { rejected: string }> {
  const existing = await ctx.w.getConversation(start.conversationId)
  if (existing) {
    if (existing.customerId !== start.customerId) return { rejected: `conversation id ${start.conversationId} is already taken` }
    return visibleConversation(ctx, existing.id)
  }
  const customer = await ctx.w.getCustomer(start.customerId)
  if (!customer || !await canSeeCustomer(ctx.w, ctx.user, customer.id)) return { rejected: `unknown customer ${start.customerId}` }
  const inbox = await sendingInbox(ctx, customer.id, [], start.channel, start.inbox)
  if (typeof inbox !== 'string') return inbox
  const conversation: Conversation = {
    id: start.conversationId,
    customerId: customer.id,
    channel: start.channel,
    inbox,
    subject: start.subject,
    status: 'open',
    snoozedUntil: null,
    assigneeId: ctx.user.id,
    team: ctx.user.team,
    threadKey: `${start.channel}:${inbox}:${customer.id}:agent:${start.conversationId}`,
    labels: [],
    priority: 'normal',
    previousConversationId: null,
    lastMessageAt: ctx.now,
    waitingSince: null,
    createdAt: ctx.now,
    updatedAt: ctx.now,
  }
  await ctx.w.put('conversation', conversation)
  return conversation
}

/**
 * The inbox a send on `channel` goes out from: the one named (if the agent may use it), else
 * the one the conversation last used on the channel (`threads`, its threads, latest first), else
 * the one the customer's latest conversation on the channel used. A phone call is logged in the
 * conversation's own inbox, or the customer's latest.
 */
async function sendingInbox(
  ctx: Ctx,
  customerId: string,
  threads: readonly ConversationThread[],
  channel: Channel,
  named: string | undefined,
  conversation: Conversation | null = null,
): Promise<string | { rejected: string }> {
  const onChannel = (ts: readonly ConversationThread[]): string | undefined => ts.find((t) => t.channel === channel)?.inbox
  const latestElsewhere = async (): Promise<string | undefined> => {
    const latest = await ctx.w.latestConversationOnChannel(customerId, channel, null)
    return latest ? onChannel(await ctx.w.conversationThreads(latest.id)) : undefined
  }
  const inbox =
    named ??
    (channel === 'voice' ? conversation?.inbox : undefined) ??
    onChannel(threads) ??
    (await latestElsewhere()) ??
    (channel === 'voice' ? (await ctx.w.conversationsOf(customerId)).sort((a, b) => b.lastMessageAt - a.lastMessageAt)[0]?.inbox : undefined)
  if (!inbox) {
    const name = (await ctx.w.getCustomer(customerId))?.name ?? 'The customer'
    return { rejected: `${name} has no ${channel} conversation to take the inbox from: name the inbox` }
  }
  if (!canSeeInbox(ctx.user, inbox)) return { rejected: `you cannot access inbox "${inbox}"` }
  return inbox
}

const NO_CHAT_HERE = 'the customer has not written by chat in this conversation: there is nobody to answer there'

/**
 * Makes the conversation the one the customer's answer on `channel` comes back to: an SMS or
 * WhatsApp number routes to the conversation that last wrote from it, an email reply threads by
 * its headers, a chat answers the visitor of the conversation's own chat session.
 */
async function takeThread(
  ctx: Ctx,
  conversation: Conversation,
  threads: readonly ConversationThread[],
  channel: Exclude<Channel, 'voice'>,
  inbox: string,
  messageId: string,
): Promise<{ rejected: string } | null> {
  const own = threads.find((t) => t.channel === channel && t.inbox === inbox)
  let threadKey: string
  switch (channel) {
    case 'sms':
    case 'whatsapp':
      threadKey = streamKey(channel, inbox, conversation.customerId)
      break
    case 'chat':
      if (!own) return { rejected: NO_CHAT_HERE }
      threadKey = own.threadKey
      break
    case 'email':
      threadKey = own?.threadKey ?? `email:${inbox}:agent:${messageId}`
      break
  }
  await ctx.w.putThread({ channel, threadKey, conversationId: conversation.id, inbox, lastAt: ctx.now })
  return null
}

function defaultReplySubject(subject: string | null): string | null {
  if (!subject) return null
  return /^re:/i.test(subject) ? subject : `Re: ${subject}`
}

async function reply(ctx: Ctx, args: MutationArgs<'reply'>): Promise<Outcome> {
  if (args.channel === 'voice') return { rejected: 'a call cannot be replied to in writing; log the call instead' }
  let conversation: Conversation | { rejected: string }
  const known = await ctx.w.getConversation(args.conversationId)
  if (known) {
    conversation = visible(ctx, known)
    if (!('rejected' in conversation) && args.customerId && args.customerId !== conversation.customerId) {
      return { rejected: `conversation id ${args.conversationId} is already taken` }
    }
  } else {
    if (!args.channel) return { rejected: `unknown conversation ${args.conversationId}` }
    if (!args.customerId) return { rejected: 'starting a conversation needs the customerId' }
    if (args.channel === 'chat') return { rejected: 'a chat conversation starts when the visitor writes: there is nobody to answer yet' }
    if (args.channel === 'email' && !args.subject) return { rejected: 'a new email conversation needs a subject' }
    conversation = await startedConversation(ctx, {
      conversationId: args.conversationId,
      customerId: args.customerId,
      channel: args.channel,
      inbox: args.inbox,
      subject: args.subject ? stripReplyPrefixes(args.subject) || args.subject : null,
    })
  }
  if ('rejected' in conversation) return conversation
  const channel = args.channel ?? conversation.channel
  if (channel === 'voice') return { rejected: 'this conversation was last on the phone: choose the channel to reply on' }
  if (channel !== 'email' && (args.subject !== undefined || args.cc !== undefined)) {
    return { rejected: `a subject and cc are for email; this reply goes by ${channel}` }
  }
  const existing = await ctx.w.getMessage(args.messageId)
  if (existing) {
    return existing.conversationId === conversation.id && existing.authorId === ctx.user.id
      ? { duplicate: true }
      : { rejected: `message id ${args.messageId} is already taken` }
  }
  // The reply is sanitized inside the transaction: a body nested deeper than any editor writes is refused first.
  if (args.html && nestingDepth(args.html) > HTML_LIMITS.maxDepth) {
    return { rejected: `the reply's HTML nests more than ${HTML_LIMITS.maxDepth} elements deep; send it as plain text` }
  }
  const threads = await ctx.w.conversationThreads(conversation.id)
  if (channel === 'chat' && !threads.some((t) => t.channel === 'chat')) return { rejected: NO_CHAT_HERE }
  const inbox = await sendingInbox(ctx, conversation.customerId, threads, channel, args.inbox, conversation)
  if (typeof inbox !== 'string') return inbox
  const taken = await takeThread(ctx, conversation, threads, channel, inbox, args.messageId)
  if (taken) return taken
  const subject = channel === 'email' ? (args.subject ?? defaultReplySubject(conversation.subject)) : null
  const message: Message = {
    id: args.messageId,
    conversationId: conversation.id,
    customerId: conversation.customerId,
    channel,
    direction: 'outbound',
    authorId: ctx.user.id,
    authorName: ctx.user.name,
    subject,
    text: args.text,
    html: args.html ? sanitizeHtml(args.html) : null,
    attachments: [],
    externalId: null,
    deliveryStatus: 'queued',
    deliveryError: null,
    sentAt: ctx.now,
    updatedAt: ctx.now,
    purpose: args.purpose ?? 'transactional',
    template: args.template ?? null,
    cc: args.cc && args.cc.length > 0 ? args.cc : null,
  }
  await ctx.w.put('message', message)
  await ctx.w.put('conversation', {
    ...conversation,
    lastMessageAt: Math.max(conversation.lastMessageAt, ctx.now),
    waitingSince: null,
    updatedAt: ctx.now,
  })
  return null
}

async function note(ctx: Ctx, args: MutationArgs<'note'>): Promise<Outcome> {
  const conversation = await visibleConversation(ctx, args.conversationId)
  if ('rejected' in conversation) return conversation
  const existing = await ctx.w.getNote(args.noteId)
  if (existing) {
    return existing.conversationId === conversation.id && existing.authorId === ctx.user.id
      ? { duplicate: true }
      : { rejected: `note id ${args.noteId} is already taken` }
  }
  const mentions = [...new Set(args.mentions)]
  for (const id of mentions) {
    const mentioned = await ctx.w.getUser(id)
    if (!mentioned || mentioned.deactivatedAt) return { rejected: `unknown or deactivated user ${id} cannot be mentioned` }
    if (!canSeeInbox(mentioned, conversation.inbox)) return { rejected: `${mentioned.name} cannot access inbox "${conversation.inbox}" and would not see the note` }
  }
  const note: Note = {
    id: args.noteId,
    conversationId: conversation.id,
    customerId: conversation.customerId,
    authorId: ctx.user.id,
    authorName: ctx.user.name,
    text: args.text,
    mentions,
    createdAt: ctx.now,
  }
  await ctx.w.put('note', note)
  return null
}

async function assign(ctx: Ctx, args: MutationArgs<'assign'>): Promise<Outcome> {
  const conversation = await visibleConversation(ctx, args.conversationId)
  if ('rejected' in conversation) return conversation
  if (args.assigneeId !== null) {
    const assignee = await ctx.w.getUser(args.assigneeId)
    if (!assignee) return { rejected: `unknown user ${args.assigneeId}` }
    if (assignee.deactivatedAt) return { rejected: `${assignee.name} is deactivated and cannot be assigned conversations` }
    if (!canSeeInbox(assignee, conversation.inbox)) {
      return { rejected: `${assignee.name} cannot access inbox "${conversation.inbox}"` }
    }
  }
  const team = args.team === undefined ? conversation.team : args.team
  if (conversation.assigneeId === args.assigneeId && conversation.team === team) return null
  await ctx.w.put('conversation', { ...conversation, assigneeId: args.assigneeId, team, updatedAt: ctx.now })
  await event(ctx, conversation, 'assigned', {
    from: conversation.assigneeId,
    to: args.assigneeId,
    fromTeam: conversation.team,
    toTeam: team,
  })
  return null
}

async function setStatus(ctx: Ctx, args: MutationArgs<'setStatus'>): Promise<Outcome> {
  const conversation = await visibleConversation(ctx, args.conversationId)
  if ('rejected' in conversation) return conversation
  const snoozedUntil = args.status === 'snoozed' ? (args.snoozedUntil ?? null) : null
  if (conversation.status === args.status && conversation.snoozedUntil === snoozedUntil) return null
  await ctx.w.put('conversation', {
    ...conversation,
    status: args.status,
    snoozedUntil,
    // A resolved conversation is not waiting for anyone.
    waitingSince: args.status === 'resolved' ? null : conversation.waitingSince,
    updatedAt: ctx.now,
  })
  await event(ctx, conversation, 'status_changed', { from: conversation.status, to: args.status, snoozedUntil })
  return null
}

async function label(ctx: Ctx, args: MutationArgs<'label'>): Promise<Outcome> {
  const conversation = await visibleConversation(ctx, args.conversationId)
  if ('rejected' in conversation) return conversation
  const before = new Set(conversation.labels)
  const after = new Set(conversation.labels)
  for (const l of args.add) after.add(l)
  for (const l of args.remove) after.delete(l)
  const added = [...after].filter((l) => !before.has(l))
  const removed = [...before].filter((l) => !after.has(l))
  if (added.length === 0 && removed.length === 0) return null
  await ctx.w.put('conversation', { ...conversation, labels: [...after], updatedAt: ctx.now })
  await event(ctx, conversation, 'labels_changed', { added, removed })
  return null
}

async function setPriority(ctx: Ctx, args: MutationArgs<'setPriority'>): Promise<Outcome> {
  const conversation = await visibleConversation(ctx, args.conversationId)
  if ('rejected' in conversation) return conversation
  if (conversation.priority === args.priority) return null
  await ctx.w.put('conversation', { ...conversation, priority: args.priority, updatedAt: ctx.now })
  await event(ctx, conversation, 'priority_changed', { from: conversation.priority, to: args.priority })
  return null
}

async function callNote(ctx: Ctx, args: MutationArgs<'callNote'>): Promise<Outcome> {
  const call = await ctx.w.getCall(args.callId)
  if (!call) return { rejected: `unknown call ${args.callId}` }
  const conversation = await visibleConversation(ctx, call.conversationId)
  if ('rejected' in conversation) return conversation
  const notes = args.notes.trim() === '' ? null : args.notes
  if (call.notes === notes) return null
  await ctx.w.put('call', { ...call, notes, updatedAt: ctx.now })
  return null
}

async function logCall(ctx: Ctx, args: MutationArgs<'logCall'>): Promise<Outcome> {
  const existing = await ctx.w.getCall(args.callId)
  if (existing) {
    return existing.conversationId === args.conversationId && existing.agentId === ctx.user.id
      ? { duplicate: true }
      : { rejected: `call id ${args.callId} is already taken` }
  }
  const conversation = await startedConversation(ctx, {
    conversationId: args.conversationId,
    customerId: args.customerId,
    channel: 'voice',
    inbox: args.inbox,
    subject: null,
  })
  if ('rejected' in conversation) return conversation
  const call: Call = {
    id: args.callId,
    conversationId: conversation.id,
    customerId: conversation.customerId,
    direction: args.direction,
    status: 'completed',
    outcome: args.outcome,
    durationSeconds: args.durationSeconds,
    recordingUrl: null,
    transcript: null,
    notes: args.notes.trim() === '' ? null : args.notes,
    agentId: ctx.user.id,
    externalId: null,
    // The call ended as it was logged; it started its duration earlier.
    startedAt: Math.max(0, ctx.now - args.durationSeconds * 1000),
    updatedAt: ctx.now,
  }
  await ctx.w.put('call', call)
  await ctx.w.put('conversation', { ...conversation, lastMessageAt: Math.max(conversation.lastMessageAt, ctx.now), updatedAt: ctx.now })
  return null
}
