import { describe, expect, it } from 'vitest'
import { signatureProblem, signBody } from './signature'

describe('X-Hub-Signature-256', () => {
  const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}')

  it('accepts the HMAC of the exact raw body', () => {
    expect(signatureProblem(body, signBody(body, 'app-secret'), 'app-secret')).toBeNull()
    expect(signatureProblem(body, signBody(body, 'app-secret').toUpperCase().replace('SHA256=', 'sha256='), 'app-secret')).toBeNull()
  })

  it('refuses another secret, a changed body, a missing or malformed header', () => {
    expect(signatureProblem(body, signBody(body, 'other'), 'app-secret')).toMatch(/does not match/)
    // Re-serialized JSON is not the body that was signed.
    const reformatted = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1))
    expect(signatureProblem(reformatted, signBody(body, 'app-secret'), 'app-secret')).toMatch(/does not match/)
    expect(signatureProblem(body, undefined, 'app-secret')).toMatch(/missing/)
    expect(signatureProblem(body, 'sha1=abc', 'app-secret')).toMatch(/64 hex digits/)
  })
})
