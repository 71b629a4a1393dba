import type { Server as HttpServer } from 'node:http'
import type { FastifyInstance } from 'fastify'
import type { z } from 'zod'
import type { Channel, Identity, Message } from '../../shared/domain'
import type { ApprovedTemplate } from '../../shared/inbox-settings'
import type { InboundMessage, IngestResult } from '../../shared/ingest'
import type { TokenAuth } from '../auth/token-auth'
import type { Leases } from '../ops/leases'
import type { Store } from '../store/store'
import type { Commit } from '../sync/commit'
import type { AgentPresence } from '../sync/socket'
import type { DeliveryReport } from './delivery'

export interface ConnectorLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

/** A one-off email that belongs to no conversation (a verification code): never stored as a message. */
export interface Notice {
  to: string
  subject: string
  text: string
}

/** Sends notices through the connector of another inbox (the web chat mails its codes through an email inbox). */
export interface NoticeSender {
  canSend(inbox: string): boolean
  send(inbox: string, notice: Notice): Promise<void>
}

/** What a running connector may do to the server: hand over inbound items and report on sends. */
export interface ConnectorContext {
  ingest(item: InboundMessage): Promise<IngestResult>
  /** Records a provider's report on a send; never throws (a failure is logged). */
  reportDelivery(messageId: string, report: DeliveryReport): Promise<void>
  /** The server's HTTP server, for connectors that speak their own socket protocol (web chat). */
  httpServer: HttpServer
  store: Store
  /** Bound to this connector as the actor of its changes. */
  commit: Commit
  /** Checks users' tokens, for connectors serving files to agents (email attachments). */
  auth: TokenAuth
  log: ConnectorLogger
  /** Connected agents, for connectors that talk to customers live (web chat); absent outside the server. */
  agents?: AgentPresence
  notices?: NoticeSender
  /**
   * Work that must run on one node of the cluster at a time (polling a mailbox) runs while the
   * connector holds its lease; absent outside the server, where the connector runs it at once.
   */
  leases?: Pick<Leases, 'hold'>
}

/** One channel provider (IMAP/SMTP, Twilio, WhatsApp Cloud…) serving one inbox. */
export interface Connector {
  readonly name: string
  /** The inbox it serves; null serves every inbox of its channels (the sandbox). */
  readonly inbox: string | null
  /** Channels whose outbound messages this connector sends. */
  readonly channels: readonly Channel[]
  /**
   * Registers webhook routes, before the server listens. `app` is an encapsulated Fastify
   * scope of the connector's own, so it may add content-type parsers (raw bodies for
   * signature checks) without touching the REST API.
   */
  registerRoutes?(app: FastifyInstance): Promise<void> | void
  start(context: ConnectorContext): Promise<void>
  stop(): Promise<void>
  /**
   * Sends one message; resolves with the provider's id once the provider has accepted it, and
   * with what it refused while accepting it (an email's cc address), kept as the message's delivery error.
   */
  send(message: Message, recipient: Identity): Promise<{ externalId: string; refused?: string }>
  /** Email connectors: sends a notice to an address, outside any conversation. */
  sendNotice?(notice: Notice): Promise<void>
}

/** The part of an inbox's configuration every connector shares. */
export interface InboxSettings {
  name: string
  channel: Channel
  /** WhatsApp: the templates approved for the inbox; a template send outside this list is refused. */
  templates?: readonly ApprovedTemplate[]
}

/** What the server tells a connector it builds. */
export interface ConnectorServerSettings {
  defaultCountry: string
  publicUrl: string | null
  /** The folder of the server's `dbPath`, where connectors keep files (email attachments). */
  dataDir: string
}

/**
 * How a connector type is configured and built. Each connector folder exports one; the
 * registry (registry.ts) lists them, and the server config names them per inbox.
 */
export interface ConnectorDefinition<S extends z.ZodType = z.ZodType> {
  type: string
  channels: readonly Channel[]
  /** Parses the inbox's `connector` settings (secrets included: they stay on the server). */
  settings: S
  create(inbox: InboxSettings, settings: z.output<S>, server: ConnectorServerSettings): Connector
}
