import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ibanValid, luhnValid, Redactor } from './redaction'

/** Every personal value a test puts in, in the shapes a customer types them. */
const EMAILS = ['maria.lopez@example.com', 'J.Smith+orders@mail.example.co.uk']
const PHONES = ['(415) 555-2671', '212.555.0188', '+44 20 7946 0958', '+1 555 010 0123', '0044 161 496 0000', '+49 30 901820']
const CARDS = ['4111 1111 1111 1111', '5500-0000-0000-0004', '378282246310005']
const IBANS = ['DE89 3704 0044 0532 0130 00', 'GB82WEST12345698765432', 'fr14 2004 1010 0505 0001 3m02 606']

const digitsOf = (s: string): string => s.replace(/\D/g, '')

function expectNoneLeft(text: string): void {
  for (const email of EMAILS) expect(text.toLowerCase()).not.toContain(email.toLowerCase())
  for (const value of [...PHONES, ...CARDS]) expect(digitsOf(text)).not.toContain(digitsOf(value).slice(-8))
  for (const iban of IBANS) expect(text.replace(/\s/g, '').toUpperCase()).not.toContain(iban.replace(/\s/g, '').toUpperCase().slice(4))
}

describe('checks', () => {
  it('knows Luhn-valid card numbers and ISO 13616 IBANs', () => {
    expect(luhnValid('4111111111111111')).toBe(true)
    expect(luhnValid('4111111111111112')).toBe(false)
    expect(ibanValid('DE89370400440532013000')).toBe(true)
    expect(ibanValid('DE89370400440532013001')).toBe(false)
  })
})

describe('Redactor', () => {
  it('replaces emails, phone numbers, cards and IBANs with placeholders, the same value with the same one', () => {
    const r = new Redactor('US')
    const a = r.redact(
      `Hi, I'm maria.lopez@example.com, call (415) 555-2671. Card 4111 1111 1111 1111, refund to DE89 3704 0044 0532 0130 00 please.`,
    )
    const b = r.redact('Again: MARIA.LOPEZ@example.com or 415.555.2671, IBAN DE89370400440532013000.')
    expect(a).toBe(`Hi, I'm [EMAIL_1], call [PHONE_1]. Card [CARD_1], refund to [IBAN_1] please.`)
    expect(b).toBe('Again: [EMAIL_1] or [PHONE_1], IBAN [IBAN_1].')
    expect(r.replaced).toEqual({ EMAIL: 1, PHONE: 1, CARD: 1, IBAN: 1 })
  })

  it('leaves nothing of any of them in the text, whatever the shape, and restores them all', () => {
    const r = new Redactor('US')
    const text = [...EMAILS, ...PHONES, ...CARDS, ...IBANS].map((v, i) => `item ${i}: ${v}.`).join('\n')
    const redacted = r.redact(text)
    expectNoneLeft(redacted)
    expect(r.restore(redacted)).toBe(text)
  })

  it('keeps order numbers, amounts, dates and times that are none of them', () => {
    const r = new Redactor('US')
    const text = 'Order #5521934 and order 4111 1111 1111 1112 (ref A-10293) cost $45.99 on 2026-10-01 at 09:12; 3 items, 1,250.00 EUR.'
    expect(r.redact(text)).toBe(text)
  })

  it('reads numbers without a prefix in the server country', () => {
    expect(new Redactor('GB').redact('ring 020 7946 0958')).toBe('ring [PHONE_1]')
    expect(new Redactor('US').redact('ring (212) 555-0188 today')).toBe('ring [PHONE_1] today')
  })

  it('reads a number written in groups that the phone library holds possible but not valid, and keeps shorter codes', () => {
    // The UK keeps 07700 900xxx for fiction, and the library holds them invalid; customers still type them.
    expect(new Redactor('GB').redact('text me on 07700 900481, not 07700 900123')).toBe('text me on [PHONE_1], not [PHONE_2]')
    const r = new Redactor('GB')
    r.redact('07700 900481')
    expect(r.redact('or +44 7700 900481')).toBe('or [PHONE_1]')
    const codes = 'invoice 2026-0042-1187, order 123 4567, ref 12-34-56-78 on 2026-10-01'
    expect(new Redactor('GB').redact(codes)).toBe(codes)
  })

  it('finds a card among digits around it and an IBAN followed by words', () => {
    const r = new Redactor('US')
    expect(r.redact('card 4111 1111 1111 1111 12 27 cvc')).toBe('card [CARD_1] 12 27 cvc')
    expect(r.redact('to GB82 WEST 1234 5698 7654 32 thanks')).toBe('to [IBAN_1] thanks')
  })

  it('restores placeholders the model wrote, with or without brackets, and leaves made-up ones', () => {
    const r = new Redactor('US')
    r.redact('mail maria.lopez@example.com, phone +44 20 7946 0958')
    expect(r.restore('Reach [EMAIL_1] or PHONE_1; not [PHONE_7].')).toBe('Reach maria.lopez@example.com or +44 20 7946 0958; not [PHONE_7].')
  })

  it('never lets a Luhn-valid card number through, however it is grouped', () => {
    const luhnDigits = fc
      .array(fc.integer({ min: 0, max: 9 }), { minLength: 12, maxLength: 18 })
      .map((ds) => {
        const body = [fc.sample(fc.integer({ min: 1, max: 9 }), 1)[0]!, ...ds].join('').slice(0, ds.length)
        for (let check = 0; check < 10; check++) if (luhnValid(body + check)) return body + check
        return body
      })
      .filter((d) => d.length >= 13 && d[0] !== '0' && luhnValid(d))
    fc.assert(
      fc.property(luhnDigits, fc.constantFrom(' ', '-', ''), (digits, sep) => {
        const grouped = digits.match(/.{1,4}/g)!.join(sep)
        const redacted = new Redactor('US').redact(`pay with ${grouped} now`)
        expect(digitsOf(redacted)).not.toContain(digits)
      }),
    )
  })
})
