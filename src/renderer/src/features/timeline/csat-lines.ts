import { CsatAnswerData, CsatRequestData, RATING_WORDS, type CsatRating, type SurveyChannel } from '../../../../shared/csat'
import type { TimelineEvent } from '../../../../shared/domain'
import { CHANNEL_LABELS } from '../../lib/format'
import { spoken } from './moved-items'

/** How a survey reached the customer, or how they answered: "by email", "by SMS", but "in the chat" (the widget's buttons). */
function via(channel: SurveyChannel): string {
  return channel === 'chat' ? 'in the chat' : `by ${spoken(CHANNEL_LABELS[channel])}`
}

/** "Satisfaction survey sent by SMS", and once answered " · answered 4 of 5"; or why it never went. */
export function describeCsatRequest(data: TimelineEvent['data']): string {
  const survey = CsatRequestData.safeParse(data)
  if (!survey.success) return 'Satisfaction survey sent'
  const { channel, rating, cancelled } = survey.data
  if (cancelled) return `Satisfaction survey ${via(channel)} not sent: the conversation was reopened before it went out`
  return `Satisfaction survey sent ${via(channel)}${rating === null ? '' : ` · answered ${rating} of 5`}`
}

/** "Rated 4 of 5 — Good, by SMS", with the rating for the stars beside it (null when the event does not say). */
export function describeCsatAnswer(data: TimelineEvent['data']): { text: string; rating: CsatRating | null } {
  const answer = CsatAnswerData.safeParse(data)
  if (!answer.success) return { text: 'The customer rated the conversation', rating: null }
  const { channel, rating } = answer.data
  return { text: `Rated ${rating} of 5 — ${RATING_WORDS[rating]}, ${via(channel)}`, rating }
}
