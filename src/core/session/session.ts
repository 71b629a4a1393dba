import { newId } from '../../shared/ids'
import { hostname } from 'node:os'
import type { Database } from 'better-sqlite3'
import type { AgentStatus } from '../../shared/agent-status'
import { EntityName, type User } from '../../shared/domain'
import type { IpcEventName, IpcEvents, IpcParsedArgs, SessionState, SignInResult, SyncState } from '../../shared/ipc'
import { countOutbox, getEntity, getSyncMeta, getUser, resetCache, setSyncUser, upsertServerEntity } from '../db/queries'
import type { SyncLink } from '../handlers/context'
import { SyncEngine, type SyncEngineOptions } from '../sync/engine'
import { normalizeServerUrl, requestSession, revokeSession } from './server-api'
import { forgetSessionToken, readSessionFile, writeSessionFile } from './session-file'

/** The engine's callbacks that stay the same from one sign-in to the next. */
export type EngineEvents = Omit<SyncEngineOptions, 'db' | 'serverUrl' | 'token' | 'batchSize' | 'onUnauthorized'>

export interface SessionOptions {
  db: Database
  dataDir: string
  batchSize: number
  /** A server and token given from outside (environment, tests): used as is, never written to disk. */
  given: { serverUrl: string; token: string } | null
  /** Where the sign-in form points when nothing was stored yet. */
  defaultServerUrl: string | null
  engineEvents: EngineEvents
  emit<E extends IpcEventName>(event: E, payload: IpcEvents[E]): void
}

/** Stands in for the engine while signed out: nothing to sync with, the cache stays readable. */
class SignedOutLink implements SyncLink {
  constructor(private readonly db: Database) {}
  start(): void {}
  schedulePush(): void {}
  retryNow(): void {}
  setViewing(): void {}
  setTyping(): void {}
  setAway(): void {}
  agentStatuses(): AgentStatus[] {
    return []
  }
  async signedInUser(): Promise<User | null> {
    return null
  }
  async inboxSettings(): Promise<null> {
    return null
  }
  async close(): Promise<void> {}
  state(): SyncState {
    const meta = getSyncMeta(this.db)
    return { status: 'offline', ...countOutbox(this.db), cursor: meta?.cursor ?? 0, lastError: null, lastSyncedAt: meta?.lastSyncedAt ?? null }
  }
}

/**
 * Who this device is signed in as, and the sync engine that goes with it. Signing in swaps in
 * a fresh engine; signing out, or the server refusing the token, stops it. The cache and its
 * queued actions outlive both, for the next sign-in of the same user.
 */
export class Session {
  private link: SyncLink
  private current: { serverUrl: string; token: string; stored: boolean } | null = null
  private refusedReason: string | null = null
  private signingIn = false

  constructor(private readonly options: SessionOptions) {
    this.link = new SignedOutLink(options.db)
    const stored = options.given ? null : readSessionFile(options.dataDir)
    if (options.given) this.current = { ...options.given, stored: false }
    else if (stored?.token) this.current = { serverUrl: stored.serverUrl, token: stored.token, stored: true }
  }

  /** The server the cache should belong to at start, or null when starting signed out. */
  static initialServer(options: { dataDir: string; given: SessionOptions['given'] }): string | null {
    if (options.given) return options.given.serverUrl
    const stored = readSessionFile(options.dataDir)
    return stored?.token ? stored.serverUrl : null
  }

  get engine(): SyncLink {
    return this.link
  }

  get serverUrl(): string {
    return this.current?.serverUrl ?? ''
  }

  get token(): string {
    return this.current?.token ?? ''
  }

  start(): void {
    if (this.current) this.startEngine(this.current.serverUrl, this.current.token)
    else this.link.start()
  }

  state(): SessionState {
    const db = this.options.db
    const userId = getSyncMeta(db)?.userId
    const user = userId ? getUser(db, userId) : null
    if (this.current) return { status: 'signed-in', serverUrl: this.current.serverUrl, user }
    const stored = readSessionFile(this.options.dataDir)
    const { pending, failed } = countOutbox(db)
    return {
      status: 'signed-out',
      serverUrl: stored?.serverUrl ?? this.options.defaultServerUrl,
      email: stored?.email ?? user?.email ?? null,
      reason: this.refusedReason,
      pendingActions: pending + failed,
    }
  }

  async signIn(args: IpcParsedArgs<'session.signIn'>): Promise<SignInResult> {
    if (this.current) return { ok: false, reason: 'invalid', message: 'This device is already signed in; sign out first.' }
    if (this.signingIn) return { ok: false, reason: 'invalid', message: 'A sign-in is already under way.' }
    const serverUrl = normalizeServerUrl(args.serverUrl)
    if (!serverUrl) return { ok: false, reason: 'invalid', message: `"${args.serverUrl}" is not a server address (e.g. https://support.example.com).` }
    this.signingIn = true
    try {
      const answer = await requestSession(serverUrl, { email: args.email, password: args.password, deviceName: `Threadline on ${hostname()}` })
      if ('reason' in answer) return { ok: false, ...answer }
      const refusal = this.makeCacheFor(serverUrl, answer.user, args.discardOtherUsersActions)
      if (refusal) {
        // The token was only wanted if the cache could be used; it must not linger on the server.
        await revokeSession(serverUrl, answer.token)
        return { ok: false, reason: 'other_users_actions', message: refusal }
      }
      writeSessionFile(this.options.dataDir, { serverUrl, token: answer.token, email: answer.user.email })
      await this.link.close()
      this.current = { serverUrl, token: answer.token, stored: true }
      this.refusedReason = null
      this.startEngine(serverUrl, answer.token)
      this.announce(true)
      return { ok: true, session: this.state() }
    } finally {
      this.signingIn = false
    }
  }

  async signOut(): Promise<SessionState> {
    const current = this.current
    if (!current) return this.state()
    this.current = null
    this.refusedReason = null
    const engine = this.link
    this.link = new SignedOutLink(this.options.db)
    await engine.close()
    // Forgotten here before the server is told, so a crash in between never leaves it on disk.
    if (readSessionFile(this.options.dataDir)?.token === current.token) forgetSessionToken(this.options.dataDir)
    const revoked = await revokeSession(current.serverUrl, current.token)
    if (!revoked) this.refusedReason = `Signed out on this device, but ${current.serverUrl} could not be reached to revoke its sign-in.`
    this.announce(false)
    return this.state()
  }

  async close(): Promise<void> {
    await this.link.close()
  }

  /**
   * Makes the cache ready for this user on this server: kept when it is theirs, wiped when it is
   * someone else's. Answers a reason instead when wiping would drop another user's unsent actions
   * that the agent has not agreed to drop.
   */
  private makeCacheFor(serverUrl: string, user: User, discardOthers: boolean): string | null {
    const db = this.options.db
    const meta = getSyncMeta(db)
    const theirs = meta?.serverUrl === serverUrl && (meta.userId === null || meta.userId === user.id)
    if (!theirs) {
      const { pending, failed } = countOutbox(db)
      if (pending + failed > 0 && !discardOthers) {
        const owner = meta?.userId ? getUser(db, meta.userId) : null
        return (
          `This device still holds ${pending + failed} action(s) by ${owner ? `${owner.name} (${owner.email})` : 'another user'} ` +
          `that never reached ${meta?.serverUrl ?? 'their server'}. Sign in as them to send those, or sign in anyway to discard them.`
        )
      }
      resetCache(db, { clientId: newId(), serverUrl })
    }
    db.transaction(() => {
      setSyncUser(db, user.id)
      // Until the change log delivers the row, so the account menu can show who is signed in.
      if (!getEntity(db, 'user', user.id)) upsertServerEntity(db, 'user', user)
    })()
    return null
  }

  private startEngine(serverUrl: string, token: string): void {
    const engine: SyncEngine = new SyncEngine({
      ...this.options.engineEvents,
      db: this.options.db,
      serverUrl,
      token,
      batchSize: this.options.batchSize,
      onUnauthorized: () => this.onRefused(engine),
    })
    this.link = engine
    engine.start()
  }

  /** The server refused the token: back to the sign-in screen, keeping the cache and the outbox. */
  private onRefused(engine: SyncEngine): void {
    if (this.link !== engine || !this.current) return
    const { stored, token } = this.current
    this.current = null
    // The refused engine stays as the link: its state tells why syncing stopped.
    if (stored && readSessionFile(this.options.dataDir)?.token === token) forgetSessionToken(this.options.dataDir)
    this.refusedReason = 'The server no longer accepts this device\'s sign-in (it was signed out elsewhere or revoked). Sign in again to go on.'
    this.announce(false)
  }

  private announce(cacheMayHaveChanged: boolean): void {
    this.options.emit('session.changed', this.state())
    this.options.emit('sync.state', this.link.state())
    if (cacheMayHaveChanged) {
      this.options.emit('data.changed', { entities: [...EntityName.options], customerIds: [] })
    }
  }
}
