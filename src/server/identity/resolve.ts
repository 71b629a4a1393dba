import type { Identity, IdentityKind } from '../../shared/domain'
import type { InboundContact } from '../../shared/ingest'
import { InvalidAddressError, normalizeAddress } from './normalize'

export interface NormalizedContact {
  kind: IdentityKind
  address: string
  name: string | null
}

/** What resolution needs to know about identities already stored. */
export interface IdentityLookup {
  findIdentity(kind: IdentityKind, address: string): Identity | null
}

export interface Resolution {
  /** The existing customer, or null when a new customer must be created. */
  customerId: string | null
  /** Name for a new customer: the sender's name, else the sender's address. */
  newCustomerName: string
  /** The sender, normalized. */
  sender: NormalizedContact
  /** The identities the sender disclosed (alsoKnownAs), normalized. */
  disclosed: NormalizedContact[]
  /** Contacts (the sender and disclosed ones) not stored yet, to attach to the customer. */
  newIdentities: NormalizedContact[]
}

export function normalizeContact(contact: InboundContact, defaultCountry: string, path = 'address'): NormalizedContact {
  try {
    return {
      kind: contact.kind,
      address: normalizeAddress(contact.kind, contact.address, defaultCountry),
      name: contact.name?.trim() || null,
    }
  } catch (err) {
    if (err instanceof InvalidAddressError) err.path = path
    throw err
  }
}

/** Phone and WhatsApp share E.164 numbers: the same number is the same person. */
const TWIN: Partial<Record<IdentityKind, IdentityKind>> = { phone: 'whatsapp', whatsapp: 'phone' }

function findOwner(lookup: IdentityLookup, c: NormalizedContact): Identity | null {
  const exact = lookup.findIdentity(c.kind, c.address)
  if (exact) return exact
  const twin = TWIN[c.kind]
  return twin ? lookup.findIdentity(twin, c.address) : null
}

/**
 * Decides which customer an inbound sender is. The sender's own identity wins; a new sender is
 * linked through the identities they disclosed (alsoKnownAs) or their phone/WhatsApp twin.
 * Never merges two existing customers: a disclosed identity that belongs to someone else stays
 * with them.
 */
export function resolveIdentity(
  lookup: IdentityLookup,
  from: InboundContact,
  alsoKnownAs: readonly InboundContact[],
  defaultCountry: string,
): Resolution {
  const sender = normalizeContact(from, defaultCountry, 'from.address')
  const disclosed = alsoKnownAs.map((c, i) => normalizeContact(c, defaultCountry, `alsoKnownAs.${i}.address`))

  let customerId = findOwner(lookup, sender)?.customerId ?? null
  if (!customerId) {
    for (const c of disclosed) {
      const owner = findOwner(lookup, c)
      if (owner) {
        customerId = owner.customerId
        break
      }
    }
  }

  const seen = new Set<string>()
  const newIdentities: NormalizedContact[] = []
  for (const c of [sender, ...disclosed]) {
    const key = `${c.kind}\u0000${c.address}`
    if (seen.has(key)) continue
    seen.add(key)
    if (lookup.findIdentity(c.kind, c.address)) continue
    // A number whose phone/WhatsApp twin belongs to another customer stays theirs.
    const owner = findOwner(lookup, c)
    if (owner && owner.customerId !== customerId) continue
    newIdentities.push(c)
  }

  return { customerId, newCustomerName: sender.name ?? sender.address, sender, disclosed, newIdentities }
}
