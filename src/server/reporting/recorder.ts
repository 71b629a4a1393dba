import { actorId, actorKind, type Actor } from '../../shared/actors'
import type { Conversation, EntityName, EntityTypes, Message, TimelineEvent } from '../../shared/domain'
import { CsatAnswerData, type CsatRating } from '../../shared/csat'
import { surveyOf } from '../csat/surveys'
import { newId } from '../../shared/ids'
import { businessMillisBetween, isWithinBusinessHours, type BusinessHours } from '../../shared/reporting/business-hours'
import type { ReportingEvent, ReportingEventKind, SlaTarget } from '../../shared/reporting/events'
import { nextSla, slaPolicyFor, type SlaPolicy } from '../../shared/reporting/sla'
import { overriding, wrappingWrites } from '../store/overriding'
import type { Store, StoreWriter, StoredChange } from '../store/store'

/** An inbox's business hours as configured now; null when it is open around the clock. */
export type BusinessHoursOf = (inbox: string) => BusinessHours | null

/**
 * The store, recording reporting events in the same transaction as the writes they measure.
 * Every write path (ingest, agents' actions, connectors, the CLI) goes through `write` or
 * `writeEach`, so watching the rows as they are put catches every event once, whoever causes
 * it, with the state before the write at hand: a conversation's status before it is resolved,
 * the customer's wait before a reply clears it. For the same reason it moves each conversation's
 * SLA clocks (by the policies given), and records a target breached by any write.
 */
export function recordingReports(store: Store, hoursOf: BusinessHoursOf, slaPolicies: readonly SlaPolicy[] = []): Store {
  const settings = { hoursOf, slaPolicies }
  return wrappingWrites(store, (w, actor) => reportingWriter(w, actor, settings))
}

interface Settings {
  hoursOf: BusinessHoursOf
  slaPolicies: readonly SlaPolicy[]
}

function reportingWriter(w: StoreWriter, actor: Actor | null, settings: Settings): StoreWriter {
  const recorder = new Recorder(w, actor, settings)
  const put = <E extends EntityName>(entity: E, data: EntityTypes[E]): Promise<StoredChange> => recorder.put(entity, data)
  return overriding(w, { put })
}

class Recorder {
  /** Conversations a human reply was written to in this write, until the conversation is put. */
  private readonly repliedTo = new Set<string>()

  constructor(
    private readonly w: StoreWriter,
    private readonly actor: Actor | null,
    private readonly settings: Settings,
  ) {}

  private hoursOf(inbox: string): BusinessHours | null {
    return this.settings.hoursOf(inbox)
  }

  async put<E extends EntityName>(entity: E, data: EntityTypes[E]): Promise<StoredChange> {
    if (entity === 'conversation') {
      const before = await this.w.getConversation(data.id)
      if (!before && (await this.restoring((data as Conversation).customerId))) return this.w.put(entity, data)
      // The server keeps the clocks: whatever a writer passes as `sla` is replaced.
      const { sla, breached } = nextSla({
        policy: slaPolicyFor(this.settings.slaPolicies, data as Conversation),
        hours: this.hoursOf((data as Conversation).inbox),
        previous: before?.sla ?? null,
        before,
        after: data as Conversation,
        humanReply: this.repliedTo.delete(data.id),
        at: (data as Conversation).updatedAt,
      })
      const conversation: Conversation = { ...(data as Conversation), sla }
      const change = await this.w.put('conversation', conversation)
      await this.conversationChanged(before, conversation)
      for (const { target, at } of breached) await this.record('sla_breached', conversation, at, { slaTarget: target })
      return change
    }
    if (entity === 'message' && isHumanReply(data as Message)) {
      const message = data as Message
      // A message already stored is being moved, merged or updated for its delivery: no new reply.
      const [existing, conversation] = await Promise.all([this.w.getMessage(message.id), this.w.getConversation(message.conversationId)])
      const change = await this.w.put(entity, data)
      if (!existing && conversation && !(await this.restoring(message.customerId))) {
        this.repliedTo.add(conversation.id)
        await this.replied(conversation, message)
      }
      return change
    }
    if (entity === 'message' && isAutomatic(data as Message) && SENT.has((data as Message).deliveryStatus)) {
      const message = data as Message
      const before = await this.w.getMessage(message.id)
      const change = await this.w.put(entity, data)
      if (before?.deliveryStatus === 'queued') await this.surveySent(message)
      return change
    }
    if (entity === 'event' && MEASURED_EVENTS.has((data as TimelineEvent).type)) {
      const event = data as TimelineEvent
      // An event already stored is being updated (a survey marked answered): it happened once.
      const [existing, conversation] = await Promise.all([this.w.getEvent(event.id), this.w.getConversation(event.conversationId)])
      const change = await this.w.put(entity, data)
      if (!existing && conversation && !(await this.restoring(event.customerId))) await this.timelineEvent(conversation, event)
      return change
    }
    return this.w.put(entity, data)
  }

  /**
   * Whether the customer's rows are being put back by a restore (their erasure is released only
   * after): what happened to them was recorded when it happened, and is not happening again.
   */
  private async restoring(customerId: string): Promise<boolean> {
    return (await this.w.getErasure(customerId)) !== null
  }

  private async conversationChanged(before: Conversation | null, after: Conversation): Promise<void> {
    if (!before) {
      // It began with its first item, which may be older than the row (an email fetched late, a history replayed).
      await this.record('conversation_created', after, Math.min(after.createdAt, after.lastMessageAt))
      return
    }
    const at = after.updatedAt
    if (before.status !== 'resolved' && after.status === 'resolved') {
      const began = (await this.w.firstReportingEvent(after.id, 'conversation_created'))?.at ?? after.createdAt
      await this.record('resolved', after, at, { since: began, agentId: this.userId() ?? after.assigneeId })
    } else if (before.status === 'resolved' && after.status !== 'resolved') {
      await this.record('reopened', after, at, { agentId: this.userId() ?? after.assigneeId })
    }
    if (after.assigneeId !== null && after.assigneeId !== before.assigneeId) {
      await this.record('assigned', after, at, { agentId: after.assigneeId })
    }
  }

  /**
   * A human reply: it measures the customer's wait since their unanswered message, if they were
   * waiting. The first one in a conversation the customer started is its first response; a
   * conversation an agent started has none.
   */
  private async replied(conversation: Conversation, message: Message): Promise<void> {
    const waitingSince = conversation.waitingSince
    const options = { since: waitingSince, agentId: message.authorId, channel: message.channel }
    const first = (await this.w.firstReportingEvent(conversation.id, 'reply')) === null
    if (first && waitingSince !== null) await this.record('first_response', conversation, message.sentAt, options)
    await this.record('reply', conversation, message.sentAt, options)
  }

  private async timelineEvent(conversation: Conversation, event: TimelineEvent): Promise<void> {
    switch (event.type) {
      case 'channel_switched': {
        const { from, to } = event.data as { from?: Conversation['channel']; to?: Conversation['channel'] }
        await this.record('channel_switched', conversation, event.createdAt, { channel: to ?? conversation.channel, fromChannel: from ?? null })
        return
      }
      case 'csat_answered': {
        const answer = CsatAnswerData.parse(event.data)
        await this.record('csat_answered', conversation, event.createdAt, { channel: answer.channel, rating: answer.rating })
        return
      }
      default:
        return
    }
  }

  /**
   * A survey counts as sent when its question leaves (dated when it was due to): one cancelled
   * because the conversation reopened, or refused by the rules when due, never went.
   */
  private async surveySent(message: Message): Promise<void> {
    const survey = surveyOf(await this.w.latestEventOfType(message.customerId, 'csat_requested'))
    if (!survey || survey.data.messageId !== message.id) return
    const conversation = await this.w.getConversation(message.conversationId)
    if (conversation) await this.record('csat_sent', conversation, message.sentAt, { channel: survey.data.channel })
  }

  private userId(): string | null {
    return this.actor && actorKind(this.actor) === 'user' ? actorId(this.actor) : null
  }

  private async record(
    kind: ReportingEventKind,
    conversation: Conversation,
    at: number,
    options: {
      since?: number | null
      agentId?: string | null
      channel?: Conversation['channel']
      fromChannel?: Conversation['channel'] | null
      slaTarget?: SlaTarget
      rating?: CsatRating
    } = {},
  ): Promise<void> {
    const hours = this.hoursOf(conversation.inbox)
    // A clock that ran backwards (a message time from a sender's wrong clock) measures no wait, not a negative one.
    const since = options.since ?? null
    const start = since === null ? null : Math.min(since, at)
    const event: ReportingEvent = {
      id: newId(),
      kind,
      conversationId: conversation.id,
      customerId: conversation.customerId,
      inbox: conversation.inbox,
      channel: options.channel ?? conversation.channel,
      team: conversation.team,
      agentId: options.agentId === undefined ? conversation.assigneeId : options.agentId,
      at,
      calendarMs: start === null ? null : at - start,
      businessMs: start === null ? null : businessMillisBetween(hours, start, at),
      afterHours: !isWithinBusinessHours(hours, at),
      fromChannel: options.fromChannel ?? null,
      rating: options.rating ?? null,
      slaTarget: options.slaTarget ?? null,
    }
    await this.w.put('reportingEvent', event)
  }
}

/** Timeline events that are reporting events too. */
const MEASURED_EVENTS: ReadonlySet<TimelineEvent['type']> = new Set(['channel_switched', 'csat_answered'])

/** An outbound message nobody wrote: an automatic reply, or a survey's question. */
const isAutomatic = (m: Message): boolean => m.direction === 'outbound' && m.authorId === null

const SENT: ReadonlySet<Message['deliveryStatus']> = new Set(['sent', 'delivered', 'read'])

/** A reply an agent wrote: automatic replies and rule-sent messages have no author. */
const isHumanReply = (m: Message): boolean => m.direction === 'outbound' && m.authorId !== null
