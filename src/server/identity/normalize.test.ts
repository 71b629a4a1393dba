import { describe, expect, it } from 'vitest'
import { InvalidAddressError, normalizeAddress } from './normalize'

describe('normalizeAddress', () => {
  it('trims and lower-cases email addresses', () => {
    expect(normalizeAddress('email', '  Jane.Doe@Example.COM ', 'US')).toBe('jane.doe@example.com')
  })

  it('rejects something that is not an email address, naming it', () => {
    expect(() => normalizeAddress('email', 'jane at example', 'US')).toThrow(InvalidAddressError)
    expect(() => normalizeAddress('email', 'jane at example', 'US')).toThrow(/invalid email address "jane at example"/)
  })

  it('writes national phone numbers in E.164 using the default country', () => {
    expect(normalizeAddress('phone', '(415) 555-2671', 'US')).toBe('+14155552671')
    expect(normalizeAddress('phone', '020 7946 0958', 'GB')).toBe('+442079460958')
  })

  it('keeps the country of numbers written internationally', () => {
    expect(normalizeAddress('phone', '+44 20 7946 0958', 'US')).toBe('+442079460958')
  })

  it('reads WhatsApp ids (bare international digits) as E.164 numbers', () => {
    expect(normalizeAddress('whatsapp', '14155552671', 'GB')).toBe('+14155552671')
    expect(normalizeAddress('whatsapp', '+1 415 555 2671', 'GB')).toBe('+14155552671')
  })

  it('rejects invalid phone numbers with a clear error', () => {
    expect(() => normalizeAddress('phone', '555', 'US')).toThrow(/invalid phone address "555"/)
    expect(() => normalizeAddress('whatsapp', 'not a number', 'US')).toThrow(InvalidAddressError)
    expect(() => normalizeAddress('phone', '+1 000 000 0000', 'US')).toThrow(/not a valid phone number/)
  })

  it('keeps chat visitor ids as they are, apart from surrounding space', () => {
    expect(normalizeAddress('chat', ' Visitor-ABC ', 'US')).toBe('Visitor-ABC')
  })

  it('rejects empty addresses', () => {
    expect(() => normalizeAddress('chat', '   ', 'US')).toThrow(/it is empty/)
  })
})
