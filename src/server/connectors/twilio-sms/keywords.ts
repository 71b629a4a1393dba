/**
 * The carrier keywords an SMS may consist of. Matching follows Twilio's opt-out handling: the
 * whole message, trimmed and case-insensitive, is the keyword (a sentence containing "stop" is
 * a message, not an opt-out).
 */
export type SmsKeyword = 'stop' | 'start' | 'help'

const KEYWORDS: Record<string, SmsKeyword> = {
  STOP: 'stop',
  STOPALL: 'stop',
  UNSUBSCRIBE: 'stop',
  CANCEL: 'stop',
  END: 'stop',
  QUIT: 'stop',
  START: 'start',
  UNSTOP: 'start',
  HELP: 'help',
}

export function smsKeyword(body: string): SmsKeyword | null {
  // Phones often add a trailing full stop or exclamation mark; it does not change the meaning.
  const word = body.trim().replace(/[.!]+$/, '').toUpperCase()
  return KEYWORDS[word] ?? null
}
