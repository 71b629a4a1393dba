import fs from 'node:fs'
import { isIP } from 'node:net'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { isSupportedCountry } from 'libphonenumber-js'
import { z } from 'zod'
import { Channel } from '../shared/domain'
import { ApprovedTemplate, type InboxInfo } from '../shared/inbox-settings'
import { BusinessHours } from '../shared/reporting/business-hours'
import { SlaPolicies } from '../shared/reporting/sla'
import { MessagingRules } from './rules/config'
import { CsatSettings } from './csat/settings'
import { isSurveyChannel } from '../shared/csat'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** Names proxy-addr knows for whole ranges, besides addresses and CIDR ranges. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal']

function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true
  const [address = '', bits, ...rest] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return false
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128))
}

/** A value from the environment (always a string) or a file (a string or a list) in the shape of the setting. */
function readTrustProxy(value: unknown): unknown {
  if (typeof value !== 'string') return value
  const text = value.trim()
  if (text === 'true' || text === 'false') return text === 'true'
  return text.split(',').map((entry) => entry.trim())
}

const TRUST_PROXY_VALUES = 'must be false, true, or the proxies\' addresses or CIDR ranges (e.g. "10.0.0.5, 10.1.0.0/16" or "loopback")'

const TrustProxy = z.preprocess(
  readTrustProxy,
  z.union([z.boolean(), z.array(z.string().refine(isProxyAddress, { error: (issue) => `"${String(issue.input)}": ${TRUST_PROXY_VALUES}` })).min(1)], {
    error: TRUST_PROXY_VALUES,
  }),
)
export type TrustProxy = z.output<typeof TrustProxy>

export const ServerConfig = z.object({
  /**
   * SQLite database file, created with its folder when missing; the folder also holds the files
   * connectors keep (email attachments), with PostgreSQL too.
   */
  dbPath: z.string().trim().min(1, 'dbPath must name a file'),
  /** A PostgreSQL connection URL (postgres://user@host:5432/db): the store lives there instead of in the SQLite file. */
  databaseUrl: z
    .string()
    .trim()
    .refine((url) => /^postgres(ql)?:\/\/.+/.test(url), { message: 'must be a postgres:// or postgresql:// URL' })
    .nullable()
    .default(null),
  /** A Redis URL (redis://host:6379): nodes sharing one PostgreSQL tell each other about commits through it. */
  redisUrl: z
    .string()
    .trim()
    .refine((url) => /^rediss?:\/\/.+/.test(url), { message: 'must be a redis:// or rediss:// URL' })
    .nullable()
    .default(null),
  /**
   * With PostgreSQL, work run by one node at a time (IMAP receiving, outbound sending, dead-letter
   * retries) is held by a lock; a node without it asks again this often (ms), so this bounds how
   * long a takeover waits after the owner dies.
   */
  leaseRetryMs: z.coerce.number().int().min(10, 'must be at least 10 (milliseconds)').max(600_000).default(2_000),
  host: z.string().trim().min(1).default('127.0.0.1'),
  /** 0 picks a free port (tests). */
  port: z.coerce.number().int().min(0).max(65535).default(4100),
  /** Country used to read phone numbers written without an international prefix. */
  defaultCountry: z
    .string()
    .trim()
    .toUpperCase()
    .refine((c) => isSupportedCountry(c), { message: 'must be a two-letter country code, e.g. US or GB' })
    .default('US'),
  /**
   * A customer's message on another channel joins their unresolved conversation when it was
   * active within this many hours ("switched from chat to SMS"); otherwise it starts its own.
   */
  channelSwitchWindowHours: z.coerce.number().min(0).max(24 * 365, 'must be at most a year (8760 hours)').default(72),
  /**
   * A customer writing again into a resolved conversation reopens it within this many hours of
   * its last message; later, a new conversation starts, linked to the resolved one.
   */
  reopenWindowHours: z.coerce.number().min(0).max(24 * 365, 'must be at most a year (8760 hours)').default(168),
  /** `sandbox`: replies are accepted and reported delivered locally; `none`: they stay queued for an integration. */
  outbound: z.enum(['sandbox', 'none']).default('none'),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  /** The address providers reach this server at (webhook signatures cover the full URL). */
  publicUrl: z.string().url().nullable().default(null),
  /** Channel inboxes and the connector serving each; set in the config file. */
  inboxes: z
    .array(
      z
        .object({
          name: z.string().trim().min(1),
          channel: Channel,
          connector: z.looseObject({ type: z.string().min(1) }),
          /**
           * WhatsApp only: the message templates the provider approved for this inbox. Unlike the
           * connector's settings they are no secret: agents' clients receive them for the composer.
           */
          templates: z.array(ApprovedTemplate).max(500).optional(),
          /** Never send this inbox's messages to a summary model: the embedded summarizer summarizes them on the server. */
          neverSendToModel: z.boolean().optional(),
          /** When the team works this inbox: waits are reported in these hours too. Absent: around the clock. */
          businessHours: BusinessHours.optional(),
          /** Ask customers to rate a conversation when it is resolved; absent: never asked. Not for voice inboxes. */
          csat: CsatSettings.optional(),
        })
        .superRefine((inbox, ctx) => {
          if (inbox.csat && !isSurveyChannel(inbox.channel)) {
            ctx.addIssue({ code: 'custom', path: ['csat'], message: `inbox "${inbox.name}": a ${inbox.channel} inbox cannot carry a satisfaction survey (chat, email, SMS and WhatsApp can)` })
          }
          if (!inbox.templates) return
          if (inbox.channel !== 'whatsapp') {
            ctx.addIssue({ code: 'custom', path: ['templates'], message: `inbox "${inbox.name}": only WhatsApp inboxes have approved templates` })
            return
          }
          const keys = inbox.templates.map((t) => `${t.name} (${t.language})`)
          const twice = keys.find((k, i) => keys.indexOf(k) !== i)
          if (twice) ctx.addIssue({ code: 'custom', path: ['templates'], message: `inbox "${inbox.name}": template ${twice} is listed twice` })
        }),
    )
    .default([])
    .refine((list) => new Set(list.map((i) => i.name)).size === list.length, { message: 'inbox names must be unique' }),
  /**
   * Service levels: first-response, next-response and resolution targets in business minutes of
   * each conversation's inbox, per inbox, team and priority; the most specific policy covering a
   * conversation applies (docs/reporting.md, "Service levels"). Set in the config file.
   */
  slaPolicies: SlaPolicies.default([]),
  /** How often the node holding the SLA lease looks for targets whose due time has passed (ms). */
  slaCheckMs: z.coerce.number().int().min(10, 'must be at least 10 (milliseconds)').max(3_600_000).default(30_000),
  /** A user's API token is refused after this many days without use (a connected device counts as using it). */
  tokenIdleDays: z.coerce.number().positive('must be a number of days above 0').default(30),
  /** …and this many days after it was made, however much it is used: the device signs in again. */
  tokenMaxDays: z.coerce.number().positive('must be a number of days above 0').default(90),
  /** An erased customer can be restored for this many days; then they are purged for good (0: at once). */
  erasureGraceDays: z.coerce.number().min(0).max(3650, 'must be at most ten years (3650 days)').default(30),
  /** How often the node holding the purge lease looks for erasures whose grace period is over (ms). */
  erasurePurgeCheckMs: z.coerce.number().int().min(10).max(86_400_000).default(3_600_000),
  /** Audit log entries are kept this many days (two years by default), then pruned daily. */
  auditRetentionDays: z.coerce.number().int('must be a whole number of days').min(1, 'must be at least 1 day').max(36_500).default(730),
  /**
   * Whether requests come through reverse proxies that name the client in X-Forwarded-For, and
   * which: the client address is what sign-in throttling is keyed by. Off, every request behind
   * a proxy seems to come from the proxy; on for a server anyone can reach directly, anyone can
   * claim any address.
   */
  trustProxy: TrustProxy.default(false),
  /** Consent, frequency caps and quiet hours, enforced on every outbound send. */
  messagingRules: MessagingRules.prefault({}),
  /**
   * An OpenAI-compatible chat-completions endpoint that writes AI summaries (OpenAI, Ollama,
   * llama.cpp server, vLLM), its base URL such as http://127.0.0.1:11434/v1; null: the embedded
   * summarizer writes them all, and nothing leaves the server.
   */
  summaryModelUrl: z
    .string()
    .trim()
    .refine((url) => /^https?:\/\/.+/.test(url), { message: 'must be an http:// or https:// URL, e.g. http://127.0.0.1:11434/v1' })
    .nullable()
    .default(null),
  /** The model's name at that endpoint (llama3.1, gpt-4o-mini…). */
  summaryModel: z.string().trim().min(1).max(200).nullable().default(null),
  /** Sent as a Bearer token; a secret, never logged. */
  summaryModelKey: z.string().trim().min(1).nullable().default(null),
  /** How long one request to the model may take before it counts as timed out (ms). */
  summaryModelTimeoutMs: z.coerce.number().int().min(100, 'must be at least 100 (milliseconds)').max(600_000).default(20_000),
  /** Tries after the first when the model times out, cannot be reached, is busy (429) or fails (5xx). */
  summaryModelRetries: z.coerce.number().int().min(0).max(10).default(2),
  /** Requests to the model in flight at once; the rest wait. */
  summaryModelConcurrency: z.coerce.number().int().min(1).max(64).default(2),
  /** Requests to the model per UTC day; past it the embedded summarizer answers until midnight. */
  summaryModelDailyLimit: z.coerce.number().int().min(0).default(2000),
  /** The most a request's prompt may be, in tokens (~4 characters each): older items are left out past it. */
  summaryTokenBudget: z.coerce.number().int().min(500, 'must be at least 500 (tokens)').max(1_000_000).default(12_000),
  /** A customer's story is written afresh once their new items have been quiet this long (ms): one update per burst. */
  summaryDebounceMs: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
  /** …and at the latest this long after the first of them, however steadily they keep coming (ms). */
  summaryMaxWaitMs: z.coerce.number().int().min(0).max(86_400_000).default(120_000),
}).superRefine((config, ctx) => {
  const inboxes = new Set(config.inboxes.map((i) => i.name))
  config.slaPolicies.forEach((policy, i) => {
    const unknown = (policy.inboxes ?? []).filter((name) => !inboxes.has(name))
    if (unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['slaPolicies', i, 'inboxes'],
        message: `SLA policy "${policy.name}" names ${unknown.map((n) => `"${n}"`).join(', ')}, which is no configured inbox`,
      })
    }
  })
  config.inboxes.forEach((inbox, i) => {
    if (inbox.csat && inbox.channel === 'email' && !config.publicUrl) {
      ctx.addIssue({
        code: 'custom',
        path: ['inboxes', i, 'csat'],
        message: `inbox "${inbox.name}": an email survey links to a page on this server, so publicUrl (THREADLINE_PUBLIC_URL) must say where customers reach it`,
      })
    }
  })
  if (config.summaryModelUrl && !config.summaryModel) {
    ctx.addIssue({
      code: 'custom',
      path: ['summaryModelUrl'],
      message: 'a summary model URL needs the model\'s name too: set summaryModel (THREADLINE_SUMMARY_MODEL), e.g. llama3.1 or gpt-4o-mini',
    })
  }
})
export type ServerConfig = z.output<typeof ServerConfig>
/** A config as written, before defaults are filled in (`csat: {}` for an inbox's default survey). */
export type ServerConfigInput = z.input<typeof ServerConfig>

/** What agents' clients may learn about the configured inboxes: everything but the connector's settings. */
export function publicInboxes(config: Pick<ServerConfig, 'inboxes'>): InboxInfo[] {
  return config.inboxes.map((inbox) => ({ name: inbox.name, channel: inbox.channel, templates: inbox.templates ?? [] }))
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

const ENV_KEYS = {
  THREADLINE_DB: 'dbPath',
  DATABASE_URL: 'databaseUrl',
  REDIS_URL: 'redisUrl',
  THREADLINE_LEASE_RETRY_MS: 'leaseRetryMs',
  THREADLINE_HOST: 'host',
  THREADLINE_PORT: 'port',
  THREADLINE_DEFAULT_COUNTRY: 'defaultCountry',
  THREADLINE_CHANNEL_SWITCH_WINDOW_HOURS: 'channelSwitchWindowHours',
  THREADLINE_REOPEN_WINDOW_HOURS: 'reopenWindowHours',
  THREADLINE_OUTBOUND: 'outbound',
  THREADLINE_LOG_LEVEL: 'logLevel',
  THREADLINE_PUBLIC_URL: 'publicUrl',
  THREADLINE_TRUST_PROXY: 'trustProxy',
  THREADLINE_TOKEN_IDLE_DAYS: 'tokenIdleDays',
  THREADLINE_TOKEN_MAX_DAYS: 'tokenMaxDays',
  THREADLINE_SUMMARY_MODEL_URL: 'summaryModelUrl',
  THREADLINE_SUMMARY_MODEL: 'summaryModel',
  THREADLINE_SUMMARY_MODEL_KEY: 'summaryModelKey',
  THREADLINE_SUMMARY_MODEL_TIMEOUT_MS: 'summaryModelTimeoutMs',
  THREADLINE_SUMMARY_MODEL_RETRIES: 'summaryModelRetries',
  THREADLINE_SUMMARY_MODEL_CONCURRENCY: 'summaryModelConcurrency',
  THREADLINE_SUMMARY_MODEL_DAILY_LIMIT: 'summaryModelDailyLimit',
  THREADLINE_SUMMARY_TOKEN_BUDGET: 'summaryTokenBudget',
  THREADLINE_SUMMARY_DEBOUNCE_MS: 'summaryDebounceMs',
  THREADLINE_SUMMARY_MAX_WAIT_MS: 'summaryMaxWaitMs',
  THREADLINE_ERASURE_GRACE_DAYS: 'erasureGraceDays',
  THREADLINE_ERASURE_PURGE_CHECK_MS: 'erasurePurgeCheckMs',
  THREADLINE_AUDIT_RETENTION_DAYS: 'auditRetentionDays',
  THREADLINE_SLA_CHECK_MS: 'slaCheckMs',
} as const satisfies Record<string, keyof ServerConfig>

export const DEFAULT_DB_PATH = '.data/server.sqlite'

function readConfigFile(file: string): Record<string, unknown> {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a JSON object`)
  }
  const unknownKeys = Object.keys(parsed).filter((k) => !(k in ServerConfig.shape))
  if (unknownKeys.length > 0) {
    throw new ConfigError(
      `config file ${file} has unknown keys: ${unknownKeys.join(', ')} (known: ${Object.keys(ServerConfig.shape).join(', ')})`,
    )
  }
  // A relative dbPath in a file means relative to that file, not to wherever the server was started.
  const config = parsed as Record<string, unknown>
  if (typeof config.dbPath === 'string' && !path.isAbsolute(config.dbPath)) {
    config.dbPath = path.resolve(path.dirname(file), config.dbPath)
  }
  return config
}

/**
 * Reads the server configuration: defaults, then the JSON file (`--config path` or
 * THREADLINE_CONFIG), then environment variables, which win. Any bad value is an error that
 * names its source, never a silently ignored setting.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, configFile?: string): ServerConfig {
  const file = configFile ?? env.THREADLINE_CONFIG
  const fromFile = file ? readConfigFile(file) : {}
  const fromEnv: Record<string, string> = {}
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const value = env[name]
    if (value !== undefined && value !== '') fromEnv[key] = value
  }
  const result = ServerConfig.safeParse({ dbPath: DEFAULT_DB_PATH, ...fromFile, ...fromEnv })
  if (!result.success) {
    const envName = (key: string): string | undefined => Object.entries(ENV_KEYS).find(([, k]) => k === key)?.[0]
    const problems = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '')
      const source = key in fromEnv ? `env ${envName(key)}` : key in fromFile ? `config file ${file}` : 'default'
      return `${key} (${source}): ${issue.message}`
    })
    throw new ConfigError(`invalid server configuration:\n  ${problems.join('\n  ')}`)
  }
  return result.data
}

/** Command-line flags shared by `npm run server`: `--config path`, `--demo`. */
export function parseServerArgs(argv: string[]): { configFile?: string; demo: boolean } {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { config: { type: 'string' }, demo: { type: 'boolean', default: false } },
      strict: true,
      allowPositionals: false,
    })
    return { configFile: values.config, demo: values.demo ?? false }
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\nusage: npm run server -- [--config path/to/config.json] [--demo]`)
  }
}
