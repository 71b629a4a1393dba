import type { Identity, IdentityKind, UnverifiedReason } from '../../shared/domain'
import type { InboundContact } from '../../shared/ingest'
import type { StoreReader } from '../store/store'
import { InvalidAddressError, normalizeAddress } from './normalize'

export interface NormalizedContact {
  kind: IdentityKind
  address: string
  name: string | null
  /** Only claimed: recorded, never used to find the customer. */
  unverified: UnverifiedReason | null
}

/** What resolution needs to know about identities already stored. */
export type IdentityLookup = Pick<StoreReader, 'findIdentity'>

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
  /**
   * Identities stored as claims that this item proves: they become the customer's, proven. A
   * claim that was someone else's is how a visitor typing a stranger's email is undone.
   */
  proven: Identity[]
}

export function normalizeContact(contact: InboundContact, defaultCountry: string, path = 'address'): NormalizedContact {
  try {
    return {
      kind: contact.kind,
      address: normalizeAddress(contact.kind, contact.address, defaultCountry),
      name: contact.name?.trim() || null,
      unverified: contact.unverified ?? null,
    }
  } catch (err) {
    if (err instanceof InvalidAddressError) err.path = path
    throw err
  }
}

/** Phone and WhatsApp share E.164 numbers: the same number is the same person. */
const TWIN: Partial<Record<IdentityKind, IdentityKind>> = { phone: 'whatsapp', whatsapp: 'phone' }

async function findOwner(lookup: IdentityLookup, c: NormalizedContact): Promise<Identity | null> {
  const exact = await lookup.findIdentity(c.kind, c.address)
  if (exact) return exact
  const twin = TWIN[c.kind]
  return twin ? lookup.findIdentity(twin, c.address) : null
}

/** The customer a proven contact belongs to: only a proven identity says who someone is. */
async function provenOwner(lookup: IdentityLookup, c: NormalizedContact): Promise<Identity | null> {
  if (c.unverified) return null
  const exact = await lookup.findIdentity(c.kind, c.address)
  if (exact && !exact.unverified) return exact
  const twin = TWIN[c.kind] ? await lookup.findIdentity(TWIN[c.kind] as IdentityKind, c.address) : null
  return twin && !twin.unverified ? twin : null
}

/**
 * Asks the store once per address: a resolution writes nothing, so a second answer would be the
 * first (and on a database server each question is a round trip).
 */
function lookingUpOnce(store: IdentityLookup): IdentityLookup {
  const answers = new Map<string, Promise<Identity | null>>()
  return {
    findIdentity(kind, address) {
      const key = `${kind}\u0000${address}`
      let answer = answers.get(key)
      if (!answer) answers.set(key, (answer = store.findIdentity(kind, address)))
      return answer
    },
  }
}

/**
 * Decides which customer an inbound sender is. The sender's own identity wins; a new sender is
 * linked through the identities they disclosed (alsoKnownAs) or their phone/WhatsApp twin.
 * Only proven addresses link: a claimed one (typed into a chat form, an email failing DMARC)
 * never attaches anything to the customer who has it, since anyone can type anyone's address.
 * Never merges two existing customers: a disclosed identity that belongs to someone else stays
 * with them.
 */
export async function resolveIdentity(
  store: IdentityLookup,
  from: InboundContact,
  alsoKnownAs: readonly InboundContact[],
  defaultCountry: string,
): Promise<Resolution> {
  const lookup = lookingUpOnce(store)
  const sender = normalizeContact(from, defaultCountry, 'from.address')
  const disclosed = alsoKnownAs.map((c, i) => normalizeContact(c, defaultCountry, `alsoKnownAs.${i}.address`))

  let customerId = (await provenOwner(lookup, sender))?.customerId ?? null
  if (!customerId) {
    for (const c of disclosed) {
      const owner = await provenOwner(lookup, c)
      if (owner) {
        customerId = owner.customerId
        break
      }
    }
  }

  const seen = new Set<string>()
  const newIdentities: NormalizedContact[] = []
  const proven: Identity[] = []
  for (const c of [sender, ...disclosed]) {
    const key = `${c.kind}\u0000${c.address}`
    if (seen.has(key)) continue
    seen.add(key)
    const stored = await lookup.findIdentity(c.kind, c.address)
    if (stored) {
      if (stored.unverified && !c.unverified) proven.push(stored)
      continue
    }
    // A number whose phone/WhatsApp twin belongs to another customer stays theirs.
    const owner = await findOwner(lookup, c)
    if (owner && owner.customerId !== customerId) continue
    newIdentities.push(c)
  }

  return { customerId, newCustomerName: sender.name ?? sender.address, sender, disclosed, newIdentities, proven }
}
