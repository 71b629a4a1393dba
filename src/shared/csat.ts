import { z } from 'zod'
import { CSAT_RATINGS } from './csat-scale'
import { Channel, Id, Timestamp } from './primitives'

/**
 * Customer satisfaction surveys. When a conversation is resolved the server may ask the customer
 * for a rating from 1 (poor) to 5 (great) on the channel it happened on: buttons in the web chat
 * widget, links in an email to a page on the sync server, or a digit in reply to an SMS or
 * WhatsApp message. Both the question and the answer are timeline events of the conversation
 * (`csat_requested`, `csat_answered`), so agents see them and reports count them.
 */

export { CSAT_RATINGS, RATING_WORDS } from './csat-scale'
export const CsatRating = z.literal(CSAT_RATINGS)
export type CsatRating = z.infer<typeof CsatRating>

/** A rating of 4 or 5 counts as satisfied: CSAT is their share of all answers. */
export const SATISFIED_FROM = 4

/** A customer is asked at most once in this long, whatever the channel or conversation. */
export const SURVEY_INTERVAL_MS = 7 * 86_400_000

/** How long an answer is taken after the survey was sent, per channel: a digit by SMS or WhatsApp counts only within 24 h. */
export const SURVEY_ANSWER_WINDOW_MS: Record<Channel, number> = {
  sms: 86_400_000,
  whatsapp: 86_400_000,
  email: SURVEY_INTERVAL_MS,
  chat: SURVEY_INTERVAL_MS,
  voice: 0,
}

/** Channels a survey can be sent on: a call has no way to carry one. */
export const SURVEY_CHANNELS = ['chat', 'email', 'sms', 'whatsapp'] as const satisfies readonly Channel[]
export type SurveyChannel = (typeof SURVEY_CHANNELS)[number]
export const isSurveyChannel = (channel: Channel): channel is SurveyChannel => (SURVEY_CHANNELS as readonly Channel[]).includes(channel)

/** `data` of a `csat_requested` timeline event: the survey. Its event id is the survey's id. */
export const CsatRequestData = z.object({
  channel: z.enum(SURVEY_CHANNELS),
  /** The outbound message that carries the question. */
  messageId: Id,
  /** When the question goes: the resolution plus the inbox's delay. A digit sent before it answers nothing. */
  sendsAt: Timestamp,
  /** Answers after this are refused as too late. */
  expiresAt: Timestamp,
  /** SHA-256 (hex) of the secret in the email's links; the secret itself is never stored. Email only. */
  tokenHash: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  /** Set once answered: a survey takes one answer. */
  rating: CsatRating.nullable(),
  answeredAt: Timestamp.nullable(),
  /** Why it never went after all: the conversation was reopened before its time came. */
  cancelled: z.string().optional(),
})
export type CsatRequestData = z.infer<typeof CsatRequestData>

/** `data` of a `csat_answered` timeline event. */
export const CsatAnswerData = z.object({
  /** The `csat_requested` event answered. */
  surveyId: Id,
  rating: CsatRating,
  /** How the customer answered: the channel the survey went out on. */
  channel: z.enum(SURVEY_CHANNELS),
  /** SMS and WhatsApp: the customer's message that carried the digit. */
  messageId: Id.nullable(),
})
export type CsatAnswerData = z.infer<typeof CsatAnswerData>

/**
 * The rating a customer's SMS or WhatsApp reply gives, if the reply is nothing but a digit 1–5
 * (a trailing full stop or exclamation mark, or a star, allowed); anything else is a message.
 */
export function ratingOfReply(text: string): CsatRating | null {
  const match = /^\s*([1-5])\s*(?:[.!*]|\u2b50|\u2605)?\s*$/u.exec(text)
  return match ? (Number(match[1]) as CsatRating) : null
}

/** The question as sent by SMS and WhatsApp, where the answer is a digit. */
export function digitSurveyText(question: string): string {
  return `${question} Reply with a number from 1 (very poor) to 5 (great).`
}
