/**
 * Splits a plain-text message into what the sender wrote now and what the agent has read
 * before: the quoted history ("On … wrote:", "> " lines, Outlook's "Original Message") and
 * the signature after a "-- " line. The timeline shows the first and folds the rest.
 */
export interface SplitText {
  body: string
  /** The folded tail, or null when there is nothing to fold. */
  folded: string | null
}

const ATTRIBUTION = /^\s*On\b.*\bwrote:\s*$/
const ATTRIBUTION_START = /^\s*On\s.*\d/
const ORIGINAL_MESSAGE = /^\s*-{2,}\s*(Original Message|Forwarded message)\s*-{2,}\s*$/i
/** RFC 3676 says "-- " exactly; many clients strip the trailing space. */
const SIGNATURE = /^--\s?$/
const QUOTED = /^\s*>/

export function splitQuoted(text: string): SplitText {
  const lines = text.replace(/\r\n?/g, '\n').split('\n')
  const cut = foldStart(lines)
  if (cut === null) return { body: text, folded: null }
  const body = lines.slice(0, cut).join('\n').trimEnd()
  // A message that is only a quote or only a signature is shown whole: folding it would hide everything.
  if (body.trim() === '') return { body: text, folded: null }
  return { body, folded: lines.slice(cut).join('\n').trim() }
}

function foldStart(lines: string[]): number | null {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? ''
    if (SIGNATURE.test(line) || ORIGINAL_MESSAGE.test(line) || ATTRIBUTION.test(line)) return i
    // Gmail wraps long attributions: "On Mon, 3 Mar 2026 at 10:02, Alice Martin <alice@…>\nwrote:".
    if (ATTRIBUTION_START.test(line) && /^\s*\S*.*wrote:\s*$/.test(lines[i + 1] ?? '') && !ATTRIBUTION.test(lines[i + 1] ?? '')) return i
    // "> " lines fold only when nothing new follows them: answers written between quotes stay visible.
    if (QUOTED.test(line) && lines.slice(i).every((l) => l.trim() === '' || QUOTED.test(l) || SIGNATURE.test(l))) return i
  }
  return null
}

/** Beyond this a message opens collapsed: one pasted log must not push the whole story off screen. */
export const LONG_TEXT_CHARS = 3_000

/**
 * The start of a text too long to show at once, cut at the last word break before the limit,
 * and how much is hidden; null when the text is short enough to show whole.
 */
export function clipLongText(text: string, limit = LONG_TEXT_CHARS): { start: string; hiddenChars: number } | null {
  if (text.length <= limit) return null
  const lastBreak = text.slice(0, limit).search(/\s\S*$/)
  const start = text.slice(0, lastBreak > limit / 2 ? lastBreak : limit).trimEnd()
  return { start, hiddenChars: text.length - start.length }
}
