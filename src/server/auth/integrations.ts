import { newId } from '../../shared/ids'
import { NewIntegration, type IntegrationInfo } from '../../shared/tokens'
import { parseOrThrow } from '../errors'
import type { Commit } from '../sync/commit'
import { generateToken, hashToken } from './tokens'
import { recordAudit, type AuditBy } from '../audit/record'

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
  by?: AuditBy,
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
  await commit(async (w) => {
    await w.insertIntegration(integration, hashToken(token))
    if (by) await recordAudit(w, { ...by, action: 'integration.created', target: { type: 'integration', id: integration.id } }, now)
  })
  return { integration, token }
}

/** False when there is no such integration or it was revoked already. */
export function revokeIntegration(commit: Commit, id: string, now = Date.now(), by?: AuditBy): Promise<boolean> {
  return commit(async (w) => {
    if (!(await w.revokeIntegration(id, now))) return false
    if (by) await recordAudit(w, { ...by, action: 'integration.revoked', target: { type: 'integration', id } }, now)
    return true
  })
}

export const integrationMayPostTo = (integration: IntegrationInfo, inbox: string): boolean => integration.inboxes.includes(inbox)
