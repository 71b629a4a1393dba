/** The subject a reply goes under unless the agent changes it (the server applies the same rule). */
export function defaultSubject(conversationSubject: string | null): string {
  if (!conversationSubject) return ''
  return /^re:/i.test(conversationSubject) ? conversationSubject : `Re: ${conversationSubject}`
}

/** Addresses typed into the cc field, separated by commas, semicolons or spaces. */
export function parseCc(text: string): string[] {
  return text
    .split(/[,;\s]+/)
    .map((a) => a.trim())
    .filter((a) => a.length > 0)
}

/** The first cc entry that is not an email address, to name in the error; null when all are. */
export function invalidCc(addresses: readonly string[]): string | null {
  return addresses.find((a) => !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(a)) ?? null
}

/** "mm:ss" (or plain minutes) as seconds; null when it is not a duration. */
export function parseDuration(text: string): number | null {
  const t = text.trim()
  const m = /^(\d{1,4})(?::([0-5]\d))?$/.exec(t)
  if (!m) return null
  return Number(m[1]) * 60 + (m[2] === undefined ? 0 : Number(m[2]))
}

/** Characters of template text kept on each side of a parameter in its hint. */
const CONTEXT_CHARS = 40

/**
 * The template text around parameter `n` ("Hi {{1}}, your order…"), so the agent sees what the
 * value completes; cut at a word, with "…" where text was left out. Null when the body lacks it.
 */
export function parameterContext(body: string, n: number): string | null {
  const placeholder = `{{${n}}}`
  const at = body.indexOf(placeholder)
  if (at < 0) return null
  const end = at + placeholder.length
  let before = body.slice(Math.max(0, at - CONTEXT_CHARS), at)
  let after = body.slice(end, end + CONTEXT_CHARS)
  if (at > CONTEXT_CHARS) before = `…${before.replace(/^\S*\s/, '')}`
  if (end + CONTEXT_CHARS < body.length) after = `${after.replace(/\s\S*$/, '')}…`
  return `${before}${placeholder}${after}`.replace(/\s+/g, ' ').trim()
}
