import { newId } from '../../shared/ids'
import type { TimelineEvent, UnverifiedReason } from '../../shared/domain'
import type { CustomerSuggestion, StoreReader, StoreWriter, SuggestionReason } from '../store/store'
import type { Resolution } from './resolve'

/**
 * Uncertain matches: an inbound contact that probably is a customer we already know, but not by
 * an exact identity. They are recorded for an agent to accept or dismiss — never merged here,
 * because a wrong merge shows one person's history to another.
 *
 * (A phone number written differently is no such case: it normalizes to the same E.164 number
 * and matches exactly.)
 */

export type SuggestionLookup = Pick<StoreReader, 'findIdentity' | 'customersNamedWithEmailDomain' | 'getCustomer'>

export interface SuggestionCandidate {
  candidateId: string
  reason: SuggestionReason
  /** For the agent: what the two records have in common. */
  detail: string
}

const MAX_CANDIDATES = 5

const UNPROVEN: Record<UnverifiedReason, string> = {
  typed_in_chat: 'this contact typed it into the chat form without proving it',
  failed_dmarc: "this email failed its domain's DMARC check",
}

function domainOf(email: string): string | null {
  const at = email.lastIndexOf('@')
  return at > 0 ? email.slice(at + 1) : null
}

/** Customers other than `customerId` who are probably the same person as this inbound sender. */
export async function findSuggestions(
  lookup: SuggestionLookup,
  customerId: string,
  resolution: Pick<Resolution, 'sender' | 'disclosed' | 'newIdentities' | 'proven'>,
): Promise<SuggestionCandidate[]> {
  const found = new Map<string, SuggestionCandidate>()
  const add = (c: SuggestionCandidate): void => {
    if (c.candidateId !== customerId && !found.has(c.candidateId)) found.set(c.candidateId, c)
  }

  // A disclosed address (the chat pre-chat email), or a sender's address that is only claimed,
  // that already belongs to someone else: it did not decide who the sender is, so the other
  // record is only a suggestion.
  const claimedSender = resolution.sender.unverified ? [resolution.sender] : []
  for (const c of [...claimedSender, ...resolution.disclosed]) {
    const owner = await lookup.findIdentity(c.kind, c.address)
    if (owner && owner.customerId !== customerId) {
      add({
        candidateId: owner.customerId,
        reason: 'disclosed_identity_of_other_customer',
        detail: c.unverified
          ? `${c.kind} ${c.address} belongs to the other customer; ${UNPROVEN[c.unverified]}, so nothing was linked`
          : `${c.kind} ${c.address} was given by this contact and belongs to the other customer`,
      })
    }
  }

  // An address the other customer had only claimed, which this contact has now proven.
  for (const claim of resolution.proven) {
    if (claim.customerId === customerId) continue
    add({
      candidateId: claim.customerId,
      reason: 'disclosed_identity_of_other_customer',
      detail: `${claim.kind} ${claim.address} had been claimed by the other customer without proof; this contact proved it, so it is theirs now`,
    })
  }

  // A new email address under a name we know at the same domain: likely a second mailbox.
  const name = resolution.sender.name?.trim()
  if (name && !name.includes('@')) {
    for (const c of resolution.newIdentities) {
      if (c.kind !== 'email') continue
      const domain = domainOf(c.address)
      if (!domain) continue
      for (const other of await lookup.customersNamedWithEmailDomain(name, domain, customerId, MAX_CANDIDATES)) {
        add({
          candidateId: other.id,
          reason: 'same_name_and_email_domain',
          detail: `same name "${name}" and an email address at ${domain}`,
        })
      }
    }
  }
  return [...found.values()].slice(0, MAX_CANDIDATES)
}

/**
 * Records each candidate once per pair of customers, with an `identity_suggested` event on the
 * conversation the evidence arrived in, inside the caller's ingest transaction.
 */
export async function recordSuggestions(
  w: StoreWriter,
  at: { customerId: string; conversationId: string },
  candidates: readonly SuggestionCandidate[],
  now: number,
): Promise<CustomerSuggestion[]> {
  const recorded: CustomerSuggestion[] = []
  for (const c of candidates) {
    const suggestion: CustomerSuggestion = {
      id: newId(),
      customerId: at.customerId,
      candidateId: c.candidateId,
      reason: c.reason,
      detail: c.detail,
      conversationId: at.conversationId,
      status: 'open',
      createdAt: now,
    }
    if (!await w.addCustomerSuggestion(suggestion)) continue
    const event: TimelineEvent = {
      id: newId(),
      conversationId: at.conversationId,
      customerId: at.customerId,
      type: 'identity_suggested',
      actorId: null,
      data: {
        suggestionId: suggestion.id,
        suggestedCustomerId: c.candidateId,
        reason: c.reason,
        detail: c.detail,
      },
      createdAt: now,
    }
    await w.put('event', event)
    recorded.push(suggestion)
  }
  return recorded
}
