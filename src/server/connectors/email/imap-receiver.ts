import type { ImapFlow } from 'imapflow'
import { z } from 'zod'
import type { ConnectorLogger } from '../connector'
import type { Store } from '../../store/store'
import type { EmailSettings } from './settings'

/** Where the mailbox was read up to. UIDs only mean something within one UIDVALIDITY. */
const MailboxCursor = z.object({ uidValidity: z.string(), lastUid: z.number().int().nonnegative() })
type MailboxCursor = z.infer<typeof MailboxCursor>

export interface ImapReceiverOptions {
  settings: EmailSettings['imap']
  reconnect: EmailSettings['reconnect']
  /** Connector-state key: which connector owns the cursor. */
  stateOwner: string
  store: Store
  log: ConnectorLogger
  /**
   * Handles one fetched message. It resolves once the message is durable (ingested,
   * dead-lettered or deliberately skipped); only then does the cursor move past it. It throws
   * only when nothing durable happened, and the message is fetched again after a reconnect.
   */
  handle(raw: Buffer, uid: number): Promise<void>
}

/**
 * Reads one IMAP mailbox: on connect, everything after the saved cursor (on a first run, or
 * after the server renumbered the mailbox, the unseen mail), then IDLE until new mail arrives.
 * A dropped connection is retried with exponential backoff until stop(). Mail is fetched with
 * BODY.PEEK, so flags are left for the humans who share the mailbox.
 */
export class ImapReceiver {
  private client: ImapFlow | null = null
  private stopped = false
  private loop: Promise<void> | null = null
  private wake: (() => void) | null = null
  private syncing: Promise<void> | null = null
  private syncAgain = false
  private readonly stateKey: string

  constructor(private readonly options: ImapReceiverOptions) {
    const { user, host, port, mailbox } = options.settings
    this.stateKey = `imap:${user}@${host}:${port}/${mailbox}`
  }

  start(): void {
    this.stopped = false
    this.loop ??= this.run()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.wake?.()
    const client = this.client
    if (client) {
      // LOGOUT politely, but never let a dead server hold up shutdown.
      await Promise.race([client.logout().catch(() => undefined), new Promise((r) => setTimeout(r, 2_000).unref())])
      client.close()
    }
    await this.loop
    this.loop = null
  }

  private async run(): Promise<void> {
    let failures = 0
    while (!this.stopped) {
      const connectedAt = Date.now()
      try {
        await this.session()
      } catch (err) {
        if (this.stopped) break
        this.options.log.warn({ err: describe(err), mailbox: this.stateKey }, 'IMAP session failed')
      }
      if (this.stopped) break
      // A session that lasted a while was healthy: start the backoff over.
      if (Date.now() - connectedAt > this.options.reconnect.maxDelayMs) failures = 0
      const delay = backoffDelay(failures++, this.options.reconnect)
      this.options.log.warn({ mailbox: this.stateKey, retryInMs: delay }, 'IMAP connection lost; reconnecting')
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay)
        this.wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.wake = null
    }
  }

  /** One connection, from login until the server (or stop()) closes it. */
  private async session(): Promise<void> {
    const { settings } = this.options
    // Loaded here, not at start: a server with no mailbox to watch never needs the IMAP client.
    const { ImapFlow } = await import('imapflow')
    const client = new ImapFlow({
      host: settings.host,
      port: settings.port,
      secure: settings.secure,
      auth: { user: settings.user, pass: settings.password },
      logger: false,
      // IDLE starts soon after each sync, so new mail is announced at once.
      autoIdleDelay: 500,
      // Some servers end an IDLE silently after ~30 min; restart it well before.
      maxIdleTime: 5 * 60_000,
      connectionTimeout: 30_000,
      greetingTimeout: 15_000,
    })
    this.client = client
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
    // Errors also surface as 'close' or as rejected commands; without a listener they would crash the process.
    client.on('error', (err: unknown) => this.options.log.warn({ err: describe(err), mailbox: this.stateKey }, 'IMAP connection error'))
    try {
      await client.connect()
      if (this.stopped) return
      // Read-only (EXAMINE): the connector never changes the mailbox its humans may share.
      await client.mailboxOpen(settings.mailbox, { readOnly: true })
      this.options.log.info({ mailbox: this.stateKey }, 'IMAP connected')
      client.on('exists', () => {
        void this.requestSync(client)
      })
      await this.requestSync(client)
      await closed
    } finally {
      this.client = null
      client.close()
      // A sync still running on the dead connection ends quickly (its commands fail); wait for
      // it, so stop() returns only when no message is being handled.
      await this.syncing
    }
  }

  /** Runs a sync, or queues one more after the running one: new mail may arrive mid-sync. */
  private requestSync(client: ImapFlow): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true
      return this.syncing
    }
    this.syncing = (async () => {
      try {
        do {
          this.syncAgain = false
          await this.sync(client)
        } while (this.syncAgain && !this.stopped && client.usable)
      } catch (err) {
        // The connection is in an unknown state: drop it, and the run loop reconnects and resumes.
        if (!this.stopped) this.options.log.warn({ err: describe(err), mailbox: this.stateKey }, 'IMAP sync failed; reconnecting')
        client.close()
      } finally {
        this.syncing = null
      }
    })()
    return this.syncing
  }

  private async sync(client: ImapFlow): Promise<void> {
    const box = client.mailbox
    if (!box) throw new Error('no mailbox is open')
    const uidValidity = box.uidValidity.toString()
    const saved = MailboxCursor.safeParse(await this.options.store.getConnectorState(this.options.stateOwner, this.stateKey))
    if (saved.success && saved.data.uidValidity === uidValidity) {
      let lastUid = saved.data.lastUid
      // "n:*" always matches the newest message, even when its UID is below n: filter.
      const found = await client.search({ uid: `${lastUid + 1}:*` }, { uid: true })
      for (const uid of (found || []).filter((u) => u > lastUid).sort((a, b) => a - b)) {
        if (this.stopped) return
        await this.fetchAndHandle(client, uid)
        lastUid = uid
        await this.saveCursor({ uidValidity, lastUid })
      }
      return
    }
    if (saved.success) {
      this.options.log.warn({ mailbox: this.stateKey, was: saved.data.uidValidity, now: uidValidity }, 'IMAP UIDVALIDITY changed; reading unseen mail again')
    }
    // Nothing to resume from: what nobody has read yet is what is still owed an answer; read
    // mail is history. The cursor is saved only at the end: an interrupted first run starts
    // over, and the messages it had ingested come back as duplicates, which ingest drops.
    const baseline = Math.max(0, box.uidNext - 1)
    const unseen = ((await client.search({ seen: false }, { uid: true })) || []).sort((a, b) => a - b)
    for (const uid of unseen) {
      if (this.stopped) return
      await this.fetchAndHandle(client, uid)
    }
    await this.saveCursor({ uidValidity, lastUid: Math.max(baseline, unseen.at(-1) ?? 0) })
  }

  private async fetchAndHandle(client: ImapFlow, uid: number): Promise<void> {
    const message = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true })
    // Expunged since the search: nothing to read.
    if (message && message.source) await this.options.handle(message.source, uid)
  }

  private async saveCursor(cursor: MailboxCursor): Promise<void> {
    const saved = MailboxCursor.safeParse(await this.options.store.getConnectorState(this.options.stateOwner, this.stateKey))
    if (saved.success && saved.data.uidValidity === cursor.uidValidity && saved.data.lastUid === cursor.lastUid) return
    await this.options.store.write((w) => w.setConnectorState(this.options.stateOwner, this.stateKey, cursor))
  }
}

/** Exponential backoff with jitter, so many inboxes on one server do not reconnect in lockstep. */
export function backoffDelay(failures: number, reconnect: { initialDelayMs: number; maxDelayMs: number }): number {
  const base = Math.min(reconnect.initialDelayMs * 2 ** Math.min(failures, 20), reconnect.maxDelayMs)
  return Math.round(base / 2 + Math.random() * (base / 2))
}

/** An error for a log line: its message and IMAP response, never the credentials imapflow keeps on the client. */
function describe(err: unknown): { message: string; code?: string; response?: string } {
  if (!(err instanceof Error)) return { message: String(err) }
  const e = err as Error & { code?: unknown; response?: unknown }
  return {
    message: e.message,
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.response === 'string' ? { response: e.response } : {}),
  }
}
