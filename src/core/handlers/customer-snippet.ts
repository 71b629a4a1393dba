import { parsePhoneNumberFromString } from 'libphonenumber-js'
import type { Identity } from '../../shared/domain'
import type { HighlightedText } from '../../shared/ipc'
import { foldForSearch, searchWords } from './search-highlight'

const SEPARATOR = ' · '

/** A phone number as people write it ("+1 408 602 1953"); the stored E.164 form when it does not parse. */
export function formatPhone(address: string): string {
  return parsePhoneNumberFromString(address)?.formatInternational() ?? address
}

/** Marks the start of every word of `text` that a searched word begins, the way the index matched it. */
function highlightPrefixes(text: string, words: readonly string[]): HighlightedText {
  const parts: HighlightedText = []
  const push = (part: string, match: boolean) => {
    if (!part) return
    const last = parts.at(-1)
    if (last && last.match === match) last.text += part
    else parts.push({ text: part, match })
  }
  let at = 0
  for (const token of text.matchAll(/[\p{L}\p{N}]+/gu)) {
    const start = token.index
    const lower = foldForSearch(token[0])
    const longest = Math.max(0, ...words.filter((w) => lower.startsWith(w)).map((w) => w.length))
    push(text.slice(at, start), false)
    push(token[0].slice(0, longest), true)
    push(token[0].slice(longest), false)
    at = start + token[0].length
  }
  push(text.slice(at), false)
  return parts
}

/**
 * The addresses a customer search hit shows under the name: emails and phone numbers as
 * people write them, each once. Chat visitor ids mean nothing to a reader and are left out;
 * the index also holds a phone's last digits, so a number matched by any of them is marked
 * whole.
 */
export function customerSnippet(identities: readonly Identity[], typed: string): HighlightedText {
  const words = searchWords(typed)
  const seen = new Set<string>()
  const shown: HighlightedText[] = []
  // Emails first, then numbers: the same order in every hit, whichever address came first.
  const ordered = [...identities].sort((a, b) => Number(a.kind !== 'email') - Number(b.kind !== 'email'))
  for (const identity of ordered) {
    if (identity.kind === 'chat') continue
    const isPhone = identity.kind === 'phone' || identity.kind === 'whatsapp'
    const text = isPhone ? formatPhone(identity.address) : identity.address
    if (seen.has(text)) continue
    seen.add(text)
    if (!isPhone) {
      shown.push(highlightPrefixes(text, words))
      continue
    }
    const digits = identity.address.replace(/\D/g, '')
    const matched = words.some((w) => /^\d+$/.test(w) && [digits, digits.slice(-10), digits.slice(-7)].some((d) => d.startsWith(w)))
    shown.push([{ text, match: matched }])
  }
  return shown.flatMap((parts, i) => (i === 0 ? parts : [{ text: SEPARATOR, match: false }, ...parts]))
}
