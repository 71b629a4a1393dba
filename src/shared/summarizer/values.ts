/**
 * Identifiers, amounts and dates found by regular expression, in any language. A value is always
 * a slice of the text it was found in, never rebuilt: an agent who searches for it finds it, and a
 * summary can never state a number nobody wrote.
 */

export type ValueKind = 'identifier' | 'amount' | 'date'

export interface FoundValue {
  kind: ValueKind
  value: string
  start: number
  /** For identifiers: what it is, from the cue word before it ("order", "invoice"…), or null. */
  label: string | null
}

import { WORD_CHARS } from './cues'

const NOT_AFTER_WORD = `(?<![${WORD_CHARS}])`
const NOT_BEFORE_WORD = `(?![${WORD_CHARS}])`
const CURRENCY_SIGN = String.raw`(?:US\$|A\$|C\$|R\$|[$€£¥₹₩₽])`
const CURRENCY_CODE = String.raw`(?:USD|EUR|GBP|CHF|JPY|CAD|AUD|NZD|INR|BRL|MXN|SEK|NOK|DKK|PLN|CZK|ZAR|SGD|HKD)`
const CURRENCY_WORD = String.raw`(?:dollars?|euros?|pounds?|reais|pesos?|francs?|kronor|złoty)`
// 1,234.56 / 1.234,56 / 1 234,56 (with a narrow or non-breaking space) / 49 / 49.9
const NUMBER = String.raw`\d{1,3}(?:[,.\u00a0\u202f]\d{3})*(?:[.,]\d{1,2})?(?!\d)|\d+(?:[.,]\d{1,2})?(?!\d)`
const AMOUNT = new RegExp(
  `${NOT_AFTER_WORD}(?:` +
    String.raw`${CURRENCY_SIGN}\s?(?:${NUMBER})` +
    String.raw`|${CURRENCY_CODE}\s?(?:${NUMBER})` +
    String.raw`|(?:${NUMBER})\s?(?:${CURRENCY_SIGN}|${CURRENCY_CODE}${NOT_BEFORE_WORD}|${CURRENCY_WORD}${NOT_BEFORE_WORD})` +
    String.raw`)`,
  'gi',
)

const MONTHS = [
  // English
  'january|february|march|april|may|june|july|august|september|october|november|december',
  'jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec',
  // Spanish, Portuguese, French, German, Italian, Dutch
  'enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre',
  'janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|novembro|dezembro',
  'janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre',
  'januar|februar|märz|juni|juli|oktober|dezember',
  'gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre',
  'januari|februari|maart|mei|augustus',
].join('|')
const WEEKDAYS = [
  'monday|tuesday|wednesday|thursday|friday|saturday|sunday',
  'lunes|martes|miércoles|jueves|viernes|sábado|domingo',
  'lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche',
  'montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag',
  'segunda-feira|terça-feira|quarta-feira|quinta-feira|sexta-feira',
].join('|')
const DAY = String.raw`\d{1,2}(?:st|nd|rd|th|er|º|\.)?`
const YEAR = String.raw`\d{4}`
const DATE = new RegExp(
  `${NOT_AFTER_WORD}(?:` +
    String.raw`\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2})?` +
    String.raw`|\d{1,2}[/.]\d{1,2}[/.](?:\d{4}|\d{2})` +
    // 3 October 2026, 3rd of October, 3 de octubre de 2026, 3. Oktober 2026
    String.raw`|${DAY}\s(?:of\s|de\s)?(?:${MONTHS})(?:,?\s(?:de\s)?${YEAR})?` +
    // October 3, Oct 3rd, 2026
    String.raw`|(?:${MONTHS})\s${DAY}(?:,?\s${YEAR})?` +
    String.raw`|(?:(?:next|this|coming|last)\s)?(?:${WEEKDAYS})` +
    String.raw`|tomorrow|yesterday|(?:(?:end|start|beginning) of (?:the |next |this )?|(?:next|last|this)\s)(?:week|month)` +
    `)${NOT_BEFORE_WORD}`,
  'gi',
)

/**
 * Words that say the code after them is an identifier, in the languages above. Without one, a
 * code must mix letters and digits (A-10293, 1Z999AA1); with one, plain digits count too
 * ("order 48213"), which keeps quantities, years and phone numbers out.
 */
const CUES: [RegExp, string][] = [
  [/\b(?:order|pedido|commande|bestellung|ordine|encomenda|bestelling)\b/i, 'Order'],
  [/\b(?:invoice|factura|facture|rechnung|fattura|fatura|factuur|receipt|bill)\b/i, 'Invoice'],
  [/\b(?:tracking|shipment|parcel|package|envío|colis|sendung|spedizione)\b/i, 'Tracking number'],
  [/\b(?:ticket|case|incident)\b/i, 'Ticket'],
  [/\b(?:account|customer (?:id|number)|cuenta|compte|konto|conta)\b/i, 'Account'],
  [/\b(?:serial|s\/n|sn|imei|device)\b/i, 'Serial number'],
  [/\b(?:booking|reservation|reserva|réservation|buchung)\b/i, 'Booking'],
  [/\b(?:ref|reference|referencia|référence|confirmation|code|id|number|no|nr|núm|número|numéro|nummer|n[º°])\b|#/i, 'Reference'],
]

const CODE = /(?<![\p{L}\p{N}@._/-])#?[\p{L}\p{N}]+(?:[-_/][\p{L}\p{N}]+)*(?![\p{L}\p{N}@-]|\.[\p{L}\p{N}])/gu

/**
 * The cue word closest before a code, within its clause and a few words: "order 48213" and "order
 * number: 48213" name an order; in "order 55512, call 555-0134" the phone number has no cue.
 */
function cueBefore(text: string, start: number): string | null {
  let before = text.slice(Math.max(0, start - 28), start)
  const stop = Math.max(before.lastIndexOf('. '), before.lastIndexOf(','), before.lastIndexOf(';'), before.lastIndexOf('!'), before.lastIndexOf('?'))
  if (stop >= 0) before = before.slice(stop + 1)
  const near = before.split(/\s+/u).filter(Boolean).slice(-3).join(' ')
  let best: { at: number; label: string } | null = null
  for (const [re, label] of CUES) {
    const global = new RegExp(re.source, 'gi')
    for (const m of near.matchAll(global)) {
      if (!best || m.index > best.at || (m.index === best.at && label !== 'Reference')) best = { at: m.index, label }
    }
  }
  return best?.label ?? null
}

function identifierOf(text: string, code: string, start: number): FoundValue | null {
  const body = code.startsWith('#') ? code.slice(1) : code
  const digits = (body.match(/\d/gu) ?? []).length
  if (digits === 0 || body.length > 40) return null
  const letters = body.replace(/[\d_/-]/gu, '')
  const upperOnly = letters === letters.toUpperCase()
  const label = cueBefore(text, start)
  if (letters.length > 0) {
    // Mixed codes: upper-case letters (INV-2026-0042, 1Z999AA1, K8TRQZ), not words like "3rd" or "mp3";
    // lower-case only in machine-made ids (acct_5510, cus_8f2k1).
    if (!upperOnly && !/_/u.test(body)) return null
    if (body.length < 4 || (digits < 2 && !label && body.length < 6)) return null
    if (/^\d+(?:ST|ND|RD|TH|[KMGT]B?|H|MIN|PM|AM|X)$/u.test(body)) return null
  } else {
    // Plain digits: only after a cue word or "#", and long enough not to be a count or a year.
    if (!label && !code.startsWith('#')) return null
    if (digits < 4 || /^(?:19|20)\d{2}$/u.test(body)) return null
  }
  return { kind: 'identifier', value: code, start, label: label ?? 'Reference' }
}

/** Versions and builds: three dotted numbers ("5.12.0", "v4.2.1") are never an amount or a date. */
const VERSION = /(?<![\p{L}\p{N}.])v?\d{1,4}\.\d{1,4}\.\d{1,6}(?![\p{N}]|\.\d)/gu

const overlaps = (a: { start: number; value: string }, b: { start: number; value: string }): boolean =>
  a.start < b.start + b.value.length && b.start < a.start + a.value.length

/** Every identifier, amount and date in a text, in order of position; overlapping finds keep the first kind found (amount, date, identifier). */
export function findValues(text: string): FoundValue[] {
  const found: FoundValue[] = []
  for (const m of text.matchAll(AMOUNT)) found.push({ kind: 'amount', value: m[0].trim(), start: m.index, label: null })
  for (const m of text.matchAll(DATE)) {
    const v: FoundValue = { kind: 'date', value: m[0], start: m.index, label: null }
    if (!found.some((f) => overlaps(f, v))) found.push(v)
  }
  for (const m of text.matchAll(VERSION)) {
    const v: FoundValue = { kind: 'identifier', value: m[0], start: m.index, label: 'Version' }
    if (!found.some((f) => overlaps(f, v))) found.push(v)
  }
  for (const m of text.matchAll(CODE)) {
    const v = identifierOf(text, m[0], m.index)
    if (v && !found.some((f) => overlaps(f, v))) found.push(v)
  }
  return found.sort((a, b) => a.start - b.start)
}
