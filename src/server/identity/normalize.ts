import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js'
import { z } from 'zod'
import type { IdentityKind } from '../../shared/domain'

/** An address that cannot be normalized: the caller turns it into a 400. */
export class InvalidAddressError extends Error {
  /** Where in the input the address was, when the caller knows (e.g. `alsoKnownAs.0.address`). */
  path = 'address'

  constructor(
    readonly kind: IdentityKind,
    readonly raw: string,
    reason: string,
  ) {
    super(`invalid ${kind} address "${raw}": ${reason}`)
    this.name = 'InvalidAddressError'
  }
}

const Email = z.email()

/**
 * The one form an address is stored and matched in: lower-case email, E.164 phone and
 * WhatsApp numbers (national numbers read in `defaultCountry`), chat visitor ids as given.
 */
export function normalizeAddress(kind: IdentityKind, raw: string, defaultCountry: string): string {
  const trimmed = raw.trim()
  if (!trimmed) throw new InvalidAddressError(kind, raw, 'it is empty')
  switch (kind) {
    case 'email': {
      const email = trimmed.toLowerCase()
      if (!Email.safeParse(email).success) throw new InvalidAddressError(kind, raw, 'not an email address')
      return email
    }
    case 'phone':
    case 'whatsapp': {
      // WhatsApp ids are bare international numbers ("15551234567"); read them as such.
      const candidate = kind === 'whatsapp' && /^\d{8,15}$/.test(trimmed) ? `+${trimmed}` : trimmed
      const phone = parsePhoneNumberFromString(candidate, defaultCountry.toUpperCase() as CountryCode)
      if (!phone) throw new InvalidAddressError(kind, raw, 'not a phone number')
      if (!phone.isValid()) throw new InvalidAddressError(kind, raw, `not a valid phone number (read in ${defaultCountry})`)
      return phone.number
    }
    case 'chat':
      return trimmed
  }
}
