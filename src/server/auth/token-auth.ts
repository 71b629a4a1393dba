import type { User } from '../../shared/domain'
import { isActive } from '../../shared/roles'
import type { IntegrationInfo } from '../../shared/tokens'
import type { Store, StoredApiToken } from '../store/store'
import { hashToken, isDueForTouch, isIntegrationToken, isTokenLive, type TokenLifetime } from './tokens'

export type UserAuth =
  | { ok: true; user: User; token: StoredApiToken }
  | { ok: false; reason: 'unknown' | 'expired' }

/**
 * Decides whether a token is accepted, for the REST API and the sync socket alike: a user's
 * token while it is neither idle too long nor too old and its user exists; an integration's
 * until it is revoked. Marks each token used, at most once a minute.
 */
export class TokenAuth {
  constructor(
    private readonly store: Store,
    readonly lifetime: TokenLifetime,
    private readonly clock: () => number = Date.now,
  ) {}

  async user(token: string | null | undefined): Promise<UserAuth> {
    // An integration's token (every inbound webhook) is not looked for among users' tokens.
    return token && !isIntegrationToken(token) ? this.userByHash(hashToken(token)) : { ok: false, reason: 'unknown' }
  }

  async userByHash(tokenHash: string): Promise<UserAuth> {
    const now = this.clock()
    const token = await this.store.apiTokenByHash(tokenHash)
    if (!token) return { ok: false, reason: 'unknown' }
    if (!isTokenLive(token, this.lifetime, now)) return { ok: false, reason: 'expired' }
    const user = await this.store.getUser(token.userId)
    // Deactivating deletes the user's tokens; this also covers a token made behind the server's back.
    if (!user || !isActive(user)) return { ok: false, reason: 'unknown' }
    if (isDueForTouch(token.lastUsedAt, now)) await this.store.write((w) => w.touchToken(tokenHash, now))
    return { ok: true, user, token }
  }

  /** The integration a token belongs to, or null when unknown or revoked. */
  async integration(token: string | null | undefined): Promise<IntegrationInfo | null> {
    if (!token) return null
    const integration = await this.store.integrationByTokenHash(hashToken(token))
    if (!integration || integration.revokedAt !== null) return null
    const now = this.clock()
    if (isDueForTouch(integration.lastUsedAt, now)) await this.store.write((w) => w.touchIntegration(integration.id, now))
    return integration
  }

  /**
   * Of the tokens held by live connections, those no longer accepted (revoked, expired, user
   * removed or deactivated, possibly by another process such as the CLI); the others are marked used, since a
   * connected device is a device in use.
   */
  async rejected(tokenHashes: readonly string[]): Promise<string[]> {
    if (tokenHashes.length === 0) return []
    const now = this.clock()
    const live: StoredApiToken[] = []
    for (const t of await this.store.apiTokensByHash(tokenHashes)) {
      const user = isTokenLive(t, this.lifetime, now) ? await this.store.getUser(t.userId) : null
      if (user !== null && isActive(user)) live.push(t)
    }
    const stale = live.filter((t) => isDueForTouch(t.lastUsedAt, now))
    if (stale.length > 0) {
      await this.store.write(async (w) => {
        for (const t of stale) await w.touchToken(t.tokenHash, now)
      })
    }
    const accepted = new Set(live.map((t) => t.tokenHash))
    return tokenHashes.filter((h) => !accepted.has(h))
  }
}
