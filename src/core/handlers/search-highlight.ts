import type { HighlightedText } from '../../shared/ipc'
import { matchesAsPrefix, typedWords } from '../../shared/search-words'

/**
 * The matched words of a search hit, marked in its title and in the best few words of its
 * body. The index keeps no copy of the text (search-index.ts): the text comes from the cached
 * row, and is split into words here the way the index's tokenizer splits it (unicode61: runs
 * of letters, digits and private-use characters; accents and case folded away).
 */

const WORD = /[\p{L}\p{N}\p{Co}]+/gu

/** How many words a body's snippet shows around its matches. */
export const SNIPPET_WORDS = 16

const ELLIPSIS = '…'

/** A word as the index compares it: without accents, in lower case. */
export function foldForSearch(word: string): string {
  return word.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase()
}

/** The words a search was for, as the index compares them; each matches the words it begins, or a short one the word itself. */
export function searchWords(typed: string): string[] {
  return typedWords(typed).map(foldForSearch)
}

interface Word {
  start: number
  end: number
  /** Which searched word this one begins with, or -1. */
  hit: number
}

function splitWords(text: string, searched: readonly string[]): Word[] {
  return [...text.matchAll(WORD)].map((m) => {
    const folded = foldForSearch(m[0])
    return { start: m.index, end: m.index + m[0].length, hit: searched.findIndex((w) => (matchesAsPrefix(w) ? folded.startsWith(w) : folded === w)) }
  })
}

/** `text[from, to)` with its matched words marked, and plain text before and after. */
function marked(text: string, words: readonly Word[], from: number, to: number, before = '', after = ''): HighlightedText {
  const parts: HighlightedText = []
  const plain = (part: string) => {
    if (!part) return
    const last = parts.at(-1)
    if (last && !last.match) last.text += part
    else parts.push({ text: part, match: false })
  }
  plain(before)
  let at = from
  for (const word of words) {
    if (word.hit < 0 || word.start < from || word.end > to) continue
    plain(text.slice(at, word.start))
    parts.push({ text: text.slice(word.start, word.end), match: true })
    at = word.end
  }
  plain(text.slice(at, to))
  plain(after)
  return parts
}

/** The whole text, every word a searched word begins marked whole. */
export function highlightWords(text: string, searched: readonly string[]): HighlightedText {
  return marked(text, splitWords(text, searched), 0, text.length)
}

/**
 * The `size` consecutive words of the text that hold the most different searched words (then
 * the most matches), with the matches centred, and an ellipsis where the text goes on. A text
 * of at most `size` words is shown whole.
 */
export function snippetOf(text: string, searched: readonly string[], size = SNIPPET_WORDS): HighlightedText {
  const words = splitWords(text, searched)
  if (words.length <= size) return marked(text, words, 0, text.length)
  let first = 0
  let bestScore = -1
  // Only a window that starts at a match can be the best one: any other starts with unmatched words.
  for (let i = 0; i < words.length; i++) {
    if (words[i]!.hit < 0) continue
    const inWindow = words.slice(i, i + size).filter((w) => w.hit >= 0)
    const score = new Set(inWindow.map((w) => w.hit)).size * size + inWindow.length
    if (score > bestScore) [bestScore, first] = [score, i]
  }
  let start = 0
  if (bestScore >= 0) {
    const hits = words.slice(first, first + size).filter((w) => w.hit >= 0)
    const last = words.indexOf(hits.at(-1)!)
    start = Math.max(0, Math.min(words.length - size, first - Math.floor((size - (last - first + 1)) / 2)))
  }
  const end = start + size
  return marked(
    text,
    words,
    start === 0 ? 0 : words[start]!.start,
    end >= words.length ? text.length : words[end - 1]!.end,
    start === 0 ? '' : ELLIPSIS,
    end >= words.length ? '' : ELLIPSIS,
  )
}
