import { randomBytes, timingSafeEqual } from 'node:crypto'
import {
  CSAT_RATINGS,
  CsatRequestData,
  digitSurveyText,
  isSurveyChannel,
  RATING_WORDS,
  SURVEY_ANSWER_WINDOW_MS,
  SURVEY_INTERVAL_MS,
  type CsatAnswerData,
  type CsatRating,
  type SurveyChannel,
} from '../../shared/csat'
import type { Conversation, EntityName, EntityTypes, Message, TimelineEvent } from '../../shared/domain'
import { newId } from '../../shared/ids'
import { hashToken } from '../auth/tokens'
import { lastInboundAt } from '../connectors/whatsapp/whatsapp'
import type { MessagingRules } from '../rules/config'
import { sendRefusal } from '../rules/send-policy'
import { overriding, wrappingWrites } from '../store/overriding'
import type { Store, StoreReader, StoreWriter, StoredChange } from '../store/store'
import { escapeHtml } from '../escape-html'
import type { Commit } from '../sync/commit'
import type { CsatSettings } from './settings'

/** What deciding on a survey needs: each inbox's settings, the messaging rules, and where the email links point. */
export interface SurveyDeps {
  settingsOf(inbox: string): CsatSettings | null
  rules: MessagingRules
  /** The server's public address; email surveys need it (the config refuses them without). */
  publicUrl: string | null
  log?: { info(obj: object, msg: string): void }
}

/** Providers date messages to the second, and their clocks and ours differ by moments. */
const CLOCK_TOLERANCE_MS = 5_000

/** A survey as stored: its `csat_requested` event and that event's data. */
export interface Survey {
  event: TimelineEvent
  data: CsatRequestData
}

export function surveyOf(event: TimelineEvent | null): Survey | null {
  if (!event || event.type !== 'csat_requested') return null
  const data = CsatRequestData.safeParse(event.data)
  return data.success ? { event, data: data.data } : null
}

/**
 * The store, sending a survey in the same write as an agent resolving a conversation (the
 * `status_changed` event of the setStatus action: a conversation emptied by a move is resolved
 * too, and asks nobody). One transaction, so a survey is sent once per resolution on any node.
 */
export function surveyingOnResolve(store: Store, deps: SurveyDeps): Store {
  return wrappingWrites(store, (w) => {
    const put = async <E extends EntityName>(entity: E, data: EntityTypes[E]): Promise<StoredChange> => {
      if (entity !== 'event') return w.put(entity, data)
      const event = data as TimelineEvent
      const statusChange = event.type === 'status_changed' && (await w.getEvent(event.id)) === null
      const change = await w.put('event', event)
      if (!statusChange || (await w.getErasure(event.customerId)) !== null) return change
      const conversation = await w.getConversation(event.conversationId)
      if (!conversation) return change
      if (event.data.to === 'resolved' && conversation.status === 'resolved') {
        const skipped = await queueSurvey(w, conversation, event.createdAt, deps)
        if (skipped) deps.log?.info({ conversationId: conversation.id, reason: skipped }, 'no satisfaction survey sent')
      } else if (event.data.from === 'resolved' && conversation.status !== 'resolved') {
        await cancelSurvey(w, conversation, event.createdAt)
      }
      return change
    }
    return overriding(w, { put })
  })
}

/**
 * Asks the conversation's customer for a rating on the channel they last used in it, if its inbox
 * asks and nothing forbids it: the customer was asked in the last 7 days, the messaging rules
 * refuse the message (consent, quiet hours, frequency caps), or WhatsApp's 24-hour window is
 * closed. Returns why no survey went, or null when one is queued.
 */
async function queueSurvey(w: StoreWriter, conversation: Conversation, at: number, deps: SurveyDeps): Promise<string | null> {
  const channel = conversation.channel
  if (!isSurveyChannel(channel)) return `a ${channel} conversation cannot carry a survey`
  // The survey leaves from the inbox the conversation last used on its channel, as a reply would.
  const thread = (await w.conversationThreads(conversation.id)).find((t) => t.channel === channel)
  const inbox = thread?.inbox ?? conversation.inbox
  const settings = deps.settingsOf(inbox)
  if (!settings) return `inbox "${inbox}" sends no surveys`
  const last = surveyOf(await w.latestEventOfType(conversation.customerId, 'csat_requested'))
  if (last && at - last.event.createdAt < SURVEY_INTERVAL_MS && (await wentOut(w, last))) return 'the customer was asked within the last 7 days'
  const sendsAt = at + settings.delaySeconds * 1000
  if (channel === 'whatsapp' && (await lastInboundAt(w, conversation.customerId, inbox, sendsAt)) === null) {
    return 'outside the WhatsApp 24-hour window, where only templates may be sent'
  }

  const surveyId = newId()
  const token = channel === 'email' ? randomBytes(24).toString('base64url') : null
  const message: Message = {
    id: newId(),
    conversationId: conversation.id,
    customerId: conversation.customerId,
    channel,
    direction: 'outbound',
    authorId: null,
    authorName: 'Satisfaction survey',
    subject: null,
    ...surveyBody(channel, settings.question, token === null ? null : { surveyId, token, publicUrl: deps.publicUrl }),
    attachments: [],
    externalId: null,
    deliveryStatus: 'queued',
    deliveryError: null,
    // The dispatcher holds it until then.
    sentAt: sendsAt,
    updatedAt: at,
    purpose: settings.purpose,
    template: null,
  }
  // Checked again when the dispatcher sends it; asked here too, so that no survey is shown as sent that the rules refuse.
  const refused = await sendRefusal(w, deps.rules, message, sendsAt)
  if (refused) return refused
  await w.put('message', message)
  const data: CsatRequestData = {
    channel,
    messageId: message.id,
    sendsAt,
    expiresAt: sendsAt + SURVEY_ANSWER_WINDOW_MS[channel],
    tokenHash: token === null ? null : hashToken(token),
    rating: null,
    answeredAt: null,
  }
  await w.put('event', { id: surveyId, conversationId: conversation.id, customerId: conversation.customerId, type: 'csat_requested', actorId: null, data, createdAt: at })
  return null
}

function surveyBody(channel: SurveyChannel, question: string, link: { surveyId: string; token: string; publicUrl: string | null } | null): { text: string; html: string | null } {
  if (channel === 'sms' || channel === 'whatsapp') return { text: digitSurveyText(question), html: null }
  if (channel === 'chat' || !link) return { text: question, html: null }
  const url = (rating: CsatRating) => surveyUrl(link.publicUrl ?? '', link.surveyId, link.token, rating)
  const lines = CSAT_RATINGS.map((r) => `${r} – ${RATING_WORDS[r]}: ${url(r)}`)
  const buttons = CSAT_RATINGS.map(
    (r) =>
      `<a href="${escapeHtml(url(r))}" style="display:inline-block;margin:0 4px 4px 0;padding:8px 12px;border:1px solid #c7ccd4;border-radius:6px;color:#1d2430;text-decoration:none">${r} – ${RATING_WORDS[r]}</a>`,
  )
  return {
    text: `${question}\n\n${lines.join('\n')}\n\nOne click is enough; the link works once.`,
    html: `<p>${escapeHtml(question)}</p><p>${buttons.join('')}</p><p style="color:#5b6472;font-size:13px">One click is enough; the link works once.</p>`,
  }
}

/** The link an email survey's button opens: the page that records the rating. */
function surveyUrl(publicUrl: string, surveyId: string, token: string, rating: CsatRating): string {
  return `${publicUrl.replace(/\/+$/, '')}/survey/${encodeURIComponent(surveyId)}/${encodeURIComponent(token)}?rating=${rating}`
}

/** Whether `token` is the one the survey's links carry (compared in constant time). */
export function tokenMatches(survey: Survey, token: string): boolean {
  if (survey.data.tokenHash === null) return false
  const expected = Buffer.from(survey.data.tokenHash, 'hex')
  const given = Buffer.from(hashToken(token), 'hex')
  return expected.length === given.length && timingSafeEqual(expected, given)
}

/**
 * The survey of a conversation reopened before its time came is not sent: the question stays
 * unsent (its message failed, saying why) and the survey is marked cancelled, so that it neither
 * counts as sent nor keeps the customer from being asked next time.
 */
async function cancelSurvey(w: StoreWriter, conversation: Conversation, at: number): Promise<void> {
  const survey = surveyOf(await w.latestEventOfType(conversation.customerId, 'csat_requested'))
  if (!survey || survey.event.conversationId !== conversation.id || survey.data.cancelled) return
  const message = await w.getMessage(survey.data.messageId)
  // Once due, the dispatcher may be handing it to the provider: too late to take back.
  if (!message || message.deliveryStatus !== 'queued' || message.sentAt <= at) return
  const reason = 'not sent: the conversation was reopened before the survey went out'
  await w.put('message', { ...message, deliveryStatus: 'failed', deliveryError: reason, updatedAt: at })
  await w.put('event', { ...survey.event, data: { ...survey.data, cancelled: reason } })
}

/** Whether the survey's question went, or is still to go: not cancelled, and not refused when it was due. */
async function wentOut(store: StoreReader, survey: Survey): Promise<boolean> {
  if (survey.data.cancelled) return false
  return (await store.getMessage(survey.data.messageId))?.deliveryStatus !== 'failed'
}

/** Why the survey takes no answer at `at`, or null when it does: one answer each, within its window. */
export function answerRefusal(survey: Survey, at: number): string | null {
  if (survey.data.rating !== null) return `this survey was answered already (rated ${survey.data.rating} of 5)`
  if (survey.data.cancelled) return 'this survey was not sent: the conversation was reopened'
  if (at > survey.data.expiresAt) return 'this survey has closed: answers are taken for a limited time after it is sent'
  return null
}

/**
 * The survey a customer's digit by SMS or WhatsApp answers: their latest, sent on that channel
 * before the digit was written, still open. A digit written before the question went (a late
 * delivery, a retry) answers nothing.
 */
export async function openSurveyOn(store: StoreReader, customerId: string, channel: SurveyChannel, at: number): Promise<Survey | null> {
  const survey = surveyOf(await store.latestEventOfType(customerId, 'csat_requested'))
  if (!survey || survey.data.channel !== channel || at < survey.data.sendsAt - CLOCK_TOLERANCE_MS || answerRefusal(survey, at) !== null) return null
  return (await wentOut(store, survey)) ? survey : null
}

/**
 * Records the answer: the survey marked answered (it takes no second one) and a `csat_answered`
 * event in the timeline, dated no earlier than the question went (providers date messages to the
 * second, and clocks differ), so that reports see the answer follow its survey.
 */
export async function recordAnswer(w: StoreWriter, survey: Survey, rating: CsatRating, at: number, messageId: string | null): Promise<void> {
  const { event, data } = survey
  const answeredAt = Math.max(at, data.sendsAt)
  await w.put('event', { ...event, data: { ...data, rating, answeredAt } })
  const answer: CsatAnswerData = { surveyId: event.id, rating, channel: data.channel, messageId }
  await w.put('event', { id: newId(), conversationId: event.conversationId, customerId: event.customerId, type: 'csat_answered', actorId: null, data: answer, createdAt: answeredAt })
}

export type AnswerOutcome = { answered: CsatRating } | { refused: string; status: 404 | 409 | 410 }

/**
 * Takes an answer given outside a message (the email page, the chat widget), in its own write so
 * that two clicks at once record one. `allowed` checks who answers: the email link's token, the
 * chat visitor's conversation.
 */
export async function answerSurvey(
  commit: Commit,
  surveyId: string,
  rating: CsatRating,
  allowed: (survey: Survey) => boolean,
  at: number = Date.now(),
): Promise<AnswerOutcome> {
  return commit(async (w): Promise<AnswerOutcome> => {
    const survey = surveyOf(await w.getEvent(surveyId))
    if (!survey || !allowed(survey)) return { refused: 'no such survey: the link may be incomplete', status: 404 }
    const refusal = answerRefusal(survey, at)
    if (refusal) return { refused: refusal, status: survey.data.rating !== null ? 409 : 410 }
    await recordAnswer(w, survey, rating, at, null)
    return { answered: rating }
  })
}
