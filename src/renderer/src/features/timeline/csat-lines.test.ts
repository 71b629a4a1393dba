import { describe, expect, it } from 'vitest'
import { describeCsatAnswer, describeCsatRequest } from './csat-lines'

const survey = { channel: 'sms', messageId: 'm1', sendsAt: 1_690_000_000_000, expiresAt: 1_700_000_000_000, tokenHash: null, rating: null, answeredAt: null }

describe('timeline lines for satisfaction surveys', () => {
  it('says how the survey went out, and its answer once there is one', () => {
    expect(describeCsatRequest(survey)).toBe('Satisfaction survey sent by SMS')
    expect(describeCsatRequest({ ...survey, channel: 'email', tokenHash: 'a'.repeat(64) })).toBe('Satisfaction survey sent by email')
    expect(describeCsatRequest({ ...survey, channel: 'chat' })).toBe('Satisfaction survey sent in the chat')
    expect(describeCsatRequest({ ...survey, channel: 'whatsapp', rating: 4, answeredAt: 1_700_000_100_000 })).toBe('Satisfaction survey sent by WhatsApp · answered 4 of 5')
  })

  it('says when a survey never went because the conversation was reopened first', () => {
    expect(describeCsatRequest({ ...survey, cancelled: 'not sent: the conversation was reopened before the survey went out' })).toBe(
      'Satisfaction survey by SMS not sent: the conversation was reopened before it went out',
    )
  })

  it('gives the rating in words and numbers, and how it came', () => {
    expect(describeCsatAnswer({ surveyId: 's1', rating: 4, channel: 'sms', messageId: 'm2' })).toEqual({ text: 'Rated 4 of 5 — Good, by SMS', rating: 4 })
    expect(describeCsatAnswer({ surveyId: 's1', rating: 1, channel: 'email', messageId: null })).toEqual({ text: 'Rated 1 of 5 — Very poor, by email', rating: 1 })
  })

  it('falls back to a plain line when the data does not read as a survey', () => {
    expect(describeCsatRequest({ channel: 'voice' })).toBe('Satisfaction survey sent')
    expect(describeCsatAnswer({ surveyId: 's1', rating: 9, channel: 'sms', messageId: null })).toEqual({ text: 'The customer rated the conversation', rating: null })
    expect(describeCsatAnswer({})).toEqual({ text: 'The customer rated the conversation', rating: null })
  })
})
