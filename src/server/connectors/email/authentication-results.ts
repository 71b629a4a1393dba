import type { ParsedMail } from 'mailparser'

/** A DMARC result as RFC 8601 names it; `absent` when the trusted server wrote none. */
export type DmarcResult = 'pass' | 'fail' | 'none' | 'temperror' | 'permerror' | 'policy' | 'neutral' | 'absent'

const RESULTS = new Set<DmarcResult>(['pass', 'fail', 'none', 'temperror', 'permerror', 'policy', 'neutral'])

/** Removes RFC 5322 comments, which may nest and may hold text such as "dmarc=pass" meant for people. */
function withoutComments(value: string): string {
  let depth = 0
  let out = ''
  for (const ch of value) {
    if (ch === '(') depth++
    else if (ch === ')' && depth > 0) depth--
    else if (depth === 0) out += ch
  }
  return out
}

/**
 * The DMARC result that the receiving server identified by `authservId` recorded. Only the topmost
 * header naming it counts: a receiving server adds its header above those already in the mail, and
 * any header below may have been written by the sender.
 */
export function dmarcResult(mail: Pick<ParsedMail, 'headerLines'>, authservId: string): DmarcResult {
  for (const { key, line } of mail.headerLines) {
    if (key !== 'authentication-results') continue
    const value = withoutComments(line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' '))
    const [server = '', ...methods] = value.split(';')
    if (server.trim().split(/\s+/)[0]?.toLowerCase() !== authservId.toLowerCase()) continue
    for (const method of methods) {
      const result = /^\s*dmarc\s*=\s*([a-z]+)/i.exec(method)?.[1]?.toLowerCase()
      if (result) return RESULTS.has(result as DmarcResult) ? (result as DmarcResult) : 'absent'
    }
    return 'absent'
  }
  return 'absent'
}
