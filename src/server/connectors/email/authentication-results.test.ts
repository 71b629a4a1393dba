import { describe, expect, it } from 'vitest'
import { dmarcResult } from './authentication-results'

const mail = (...headers: string[]) => ({
  headerLines: headers.map((line) => ({ key: line.slice(0, line.indexOf(':')).toLowerCase(), line })),
})

describe('dmarcResult', () => {
  it("reads the trusted server's DMARC verdict", () => {
    const m = mail(
      'Authentication-Results: mx.example.com;\r\n\tspf=fail smtp.mailfrom=bank.test;\r\n\tdkim=none;\r\n\tdmarc=fail (p=reject dis=none) header.from=bank.test',
    )
    expect(dmarcResult(m, 'mx.example.com')).toBe('fail')
    expect(dmarcResult(m, 'MX.Example.com')).toBe('fail')
  })

  it('ignores headers of other servers, which the sender may have written', () => {
    const m = mail('Authentication-Results: mx.example.com 1; dmarc=fail header.from=bank.test', 'Authentication-Results: mx.example.com; dmarc=pass')
    expect(dmarcResult(m, 'mx.example.com')).toBe('fail')
    expect(dmarcResult(mail('Authentication-Results: attacker.test; dmarc=pass'), 'mx.example.com')).toBe('absent')
  })

  it('is not fooled by a verdict inside a comment', () => {
    expect(dmarcResult(mail('Authentication-Results: mx.example.com; spf=pass (dmarc=pass (really)) smtp.mailfrom=x.test'), 'mx.example.com')).toBe('absent')
    expect(dmarcResult(mail('Authentication-Results: mx.example.com; dmarc=pass header.from=x.test'), 'mx.example.com')).toBe('pass')
  })

  it('says absent when the server recorded no DMARC check, or nothing at all', () => {
    expect(dmarcResult(mail('Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=x.test'), 'mx.example.com')).toBe('absent')
    expect(dmarcResult(mail('Subject: hi'), 'mx.example.com')).toBe('absent')
  })
})
