import { newId } from '../../shared/ids'
import { NewIntegration, type IntegrationInfo } from '../../shared/tokens'
import { parseOrThrow } from '../errors'
import type { Commit } from '../sync/commit'
import { generateToken, hashToken } from './tokens'

/**
 * Integrations (Zapier, a provider's bridge, a script) post inbound items through the API
 * channel. They are not users: their token opens the integration routes only, for the inboxes
 * they were given, and whatever they ingest is recorded as theirs.
 */

/** Returns the plaintext token with the integration; the token cannot be recovered later. */
export async function createIntegration(
  commit: Commit,
  input: NewIntegration,
  now = Date.now(),
): Promise<{ integration: IntegrationInfo; token: string }> {
  const data = parseOrThrow(NewIntegration, input, 'integration')
  const token = generateToken('tli')
  const integration: IntegrationInfo = {
    id: newId(),
    name: data.name,
    inboxes: [...new Set(data.inboxes)],
    createdAt: now,
    lastUsedAt: null,
    revokedAt: null,
  }
  await commit((w) => w.insertIntegration(integration, hashToken(token)))
  return { integration, token }
}

/** False when there is no such integration or it was revoked already. */
export function revokeIntegration(commit: Commit, id: string, now = Date.now()): Promise<boolean> {
  return commit((w) => w.revokeIntegration(id, now))
}

export const integrationMayPostTo = (integration: IntegrationInfo, inbox: string): boolean => integration.inboxes.includes(inbox)
