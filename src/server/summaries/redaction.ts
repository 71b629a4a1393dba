import { findPhoneNumbersInText, isPossiblePhoneNumber, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js'

/**
 * Personal data that must not leave the server when a model summarizes: what a customer types
 * is sent to someone else's endpoint. Each value becomes a placeholder ([EMAIL_1], [PHONE_2],
 * [CARD_1], [IBAN_1]) that is the same wherever the value occurs in one request, so the model
 * can still say "the refund goes to [IBAN_1]" and the stored summary gets the real value back.
 */

export type RedactedKind = 'EMAIL' | 'PHONE' | 'CARD' | 'IBAN'

interface Span {
  start: number
  end: number
  kind: RedactedKind
  /** What makes two spellings of a value the same value (digits only, lower case…). */
  key: string
}

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu

/** Two letters, two check digits, then 11–30 letters or digits, optionally in groups of four. */
const IBAN_CANDIDATE = /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}/gi

/** Runs of digit groups joined by one space or dash: where a card number may hide. */
const DIGIT_RUN = /\d+(?:[ -]\d+)*/g

/**
 * Numbers dialled internationally that the phone library does not hold valid (made-up ranges,
 * numbering plans it does not know): a leading + or an 00/011 prefix followed by separated groups.
 */
const INTERNATIONAL_PHONE = /(?:\+|\b(?:00|011)[ .-]?)\d[\d .()-]{5,}\d/g

/**
 * Numbers dialled nationally, in groups, that the phone library holds possible but not valid: a
 * range newer than its metadata, or one kept for fiction (the UK's 07700 900xxx) that a customer
 * still types. Ten digits at least, so that order and invoice numbers stay.
 */
const NATIONAL_PHONE = /(?<![\p{L}\p{N}+])\(?\d{2,5}\)?(?:[ .-]\d{2,6}){1,3}(?![\p{L}\p{N}])/gu

export function luhnValid(digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return sum % 10 === 0
}

/** ISO 13616: move the first four characters to the end, letters to numbers (A = 10), mod 97 must be 1. */
export function ibanValid(compact: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(compact)) return false
  const rearranged = compact.slice(4) + compact.slice(0, 4)
  let rest = 0
  for (const ch of rearranged) {
    const n = ch >= 'A' ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48
    rest = (n > 9 ? rest * 100 + n : rest * 10 + n) % 97
  }
  return rest === 1
}

const isAlnum = (ch: string | undefined): boolean => ch !== undefined && /[\p{L}\p{N}]/u.test(ch)

function findEmails(text: string): Span[] {
  return [...text.matchAll(EMAIL)].map((m) => ({ start: m.index, end: m.index + m[0].length, kind: 'EMAIL', key: m[0].toLowerCase() }))
}

/** The longest prefix of a candidate that passes mod 97 and ends where a word ends. */
function findIbans(text: string): Span[] {
  const spans: Span[] = []
  for (const m of text.matchAll(IBAN_CANDIDATE)) {
    let best: Span | null = null
    let compact = ''
    for (let i = 0; i < m[0].length; i++) {
      const ch = m[0][i]!
      if (ch === ' ') continue
      compact += ch.toUpperCase()
      const end = m.index + i + 1
      if (!isAlnum(text[end]) && ibanValid(compact)) best = { start: m.index, end, kind: 'IBAN', key: compact }
    }
    if (best) spans.push(best)
  }
  return spans
}

/**
 * Card numbers: 13–19 digits, grouped by spaces or dashes, that pass the Luhn check. A run of
 * groups may hold more than the card ("4111 1111 1111 1111 12 27"), so every stretch of whole
 * groups is tried, the longest valid one first.
 */
function findCards(text: string): Span[] {
  const spans: Span[] = []
  for (const m of text.matchAll(DIGIT_RUN)) {
    if (isAlnum(text[m.index - 1]) || isAlnum(text[m.index + m[0].length])) continue
    const groups = [...m[0].matchAll(/\d+/g)].map((g) => ({ start: m.index + g.index, end: m.index + g.index + g[0].length, digits: g[0] }))
    let from = 0
    while (from < groups.length) {
      let digits = ''
      const candidates: Span[] = []
      for (let to = from; to < groups.length && digits.length < 19; to++) {
        digits += groups[to]!.digits
        if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) {
          candidates.push({ start: groups[from]!.start, end: groups[to]!.end, kind: 'CARD', key: digits })
        }
      }
      const found = candidates.at(-1)
      if (!found) {
        from++
        continue
      }
      spans.push(found)
      from = groups.findIndex((g) => g.start >= found.end)
      if (from === -1) break
    }
  }
  return spans
}

function findPhones(text: string, defaultCountry: CountryCode): Span[] {
  const spans: Span[] = findPhoneNumbersInText(text, { defaultCountry }).map((found) => {
    // The finder's end can run past the number's last digit; the placeholder should not swallow what follows.
    let end = found.endsAt
    while (end > found.startsAt && !/\d/.test(text[end - 1]!)) end--
    return { start: found.startsAt, end, kind: 'PHONE', key: found.number.number }
  })
  for (const m of text.matchAll(INTERNATIONAL_PHONE)) {
    const digits = m[0].replace(/\D/g, '').replace(/^(00|011)/, '')
    const separated = m[0].startsWith('+') || /[ .()-]/.test(m[0].replace(/^(00|011)[ .-]?/, ''))
    if (digits.length < 8 || digits.length > 15 || !separated || isAlnum(text[m.index + m[0].length])) continue
    spans.push({ start: m.index, end: m.index + m[0].length, kind: 'PHONE', key: `+${digits}` })
  }
  for (const m of text.matchAll(NATIONAL_PHONE)) {
    const digits = m[0].replace(/\D/g, '')
    if (digits.length < 10 || !isPossiblePhoneNumber(m[0], defaultCountry)) continue
    const key = parsePhoneNumberFromString(m[0], defaultCountry)?.number ?? digits
    spans.push({ start: m.index, end: m.index + m[0].length, kind: 'PHONE', key })
  }
  return spans
}

/**
 * One request's redactions: every text of the request goes through the same Redactor, so a value
 * keeps its placeholder across items, and restore() puts the values back into the model's reply.
 */
export class Redactor {
  private readonly placeholderByKey = new Map<string, string>()
  private readonly valueByPlaceholder = new Map<string, string>()
  private readonly counts: Record<RedactedKind, number> = { EMAIL: 0, PHONE: 0, CARD: 0, IBAN: 0 }

  constructor(private readonly defaultCountry: CountryCode) {}

  /** How many distinct values were replaced, by kind. */
  get replaced(): Readonly<Record<RedactedKind, number>> {
    return this.counts
  }

  redact(text: string): string {
    // Most specific first: an IBAN's or a card's digit groups would otherwise read as phone numbers.
    let rest = text
    for (const find of [findEmails, findIbans, findCards, (t: string) => findPhones(t, this.defaultCountry)]) {
      const spans = find(rest).sort((a, b) => a.start - b.start)
      let out = ''
      let at = 0
      for (const span of spans) {
        if (span.start < at) continue
        out += rest.slice(at, span.start) + this.placeholder(span, rest.slice(span.start, span.end))
        at = span.end
      }
      rest = out + rest.slice(at)
    }
    return rest
  }

  /** Puts the real values back into text the model wrote; a placeholder it made up stays as it is. */
  restore(text: string): string {
    return text.replace(/\[?\b(EMAIL|PHONE|CARD|IBAN)_(\d+)\b\]?/g, (whole: string, kind: string, n: string) => {
      return this.valueByPlaceholder.get(`[${kind}_${n}]`) ?? whole
    })
  }

  private placeholder(span: Span, value: string): string {
    const key = `${span.kind}:${span.key}`
    let placeholder = this.placeholderByKey.get(key)
    if (!placeholder) {
      placeholder = `[${span.kind}_${++this.counts[span.kind]}]`
      this.placeholderByKey.set(key, placeholder)
      this.valueByPlaceholder.set(placeholder, value)
    }
    return placeholder
  }
}
