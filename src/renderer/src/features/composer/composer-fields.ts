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
