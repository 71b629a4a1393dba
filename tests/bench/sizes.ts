import { parseArgs } from 'node:util'

/**
 * Dataset and load sizes. `full` is the dataset the targets are set for; `small`
 * keeps the whole run under a minute on a 2-core machine so CI can smoke-test every scenario.
 * `customers` is the generator's people: identity resolution turns some of them into more
 * than one customer (a WhatsApp number is not merged with an email address), so the stored
 * customer count is higher; the run reports the stored counts.
 */
export interface BenchSize {
  name: SizeName
  customers: number
  conversationsPerCustomer: number
  messagesPerConversation: number
  /** Messages of the one customer whose long timeline is opened. */
  heavyMessages: number
  /** Samples per latency scenario. */
  samples: number
  /** Bare socket.io clients for the fan-out scenario (the issue: 1,000). */
  fanoutClients: number
  fanoutSamples: number
  /** Requests in the HTTP ingest load, and how many are in flight at once. */
  ingestRequests: number
  ingestConcurrency: number
  /** Page loads for the on-screen timeline and cold-start scenarios. */
  browserSamples: number
  hostStarts: number
  hostileHtml: HostileHtmlSize
  /** Sync clients following node B of the two-node PostgreSQL cluster, and webhooks posted to node A. */
  pgLive: { clients: number; samples: number }
  /** Initial syncs into a plain and into an encrypted cache, each, for the encryption's cost. */
  cipherRounds: number
  /** Initial syncs as an agent and as a supervisor (who also receives reporting events), each. */
  dashboardRounds: number
}

/**
 * Two pathological emails: `<p>` + `bold` × `<b>` + `x</p>`, and `divs` nested
 * `<div>`…`</div>`. Medium and full send them at full size (120,000 and 200,000); small sends shallower
 * ones so that even a server that sanitizes on its event loop gets through in seconds.
 */
export interface HostileHtmlSize {
  bold: number
  divs: number
  /** How long the steady REST and webhook load runs, and how long its late answers are waited for. */
  loadMs: number
  drainMs: number
  /** How long one hostile message may take to be accepted before the rest are not sent. */
  acceptTimeoutMs: number
}

export const SIZE_NAMES = ['small', 'medium', 'full'] as const
export type SizeName = (typeof SIZE_NAMES)[number]

const REVIEWED_HOSTILE_HTML: HostileHtmlSize = { bold: 120_000, divs: 200_000, loadMs: 30_000, drainMs: 600_000, acceptTimeoutMs: 300_000 }

export const SIZES: Record<SizeName, BenchSize> = {
  small: {
    name: 'small',
    customers: 300,
    conversationsPerCustomer: 2,
    messagesPerConversation: 6,
    heavyMessages: 1_000,
    samples: 60,
    fanoutClients: 200,
    fanoutSamples: 10,
    ingestRequests: 600,
    ingestConcurrency: 8,
    browserSamples: 4,
    hostStarts: 1,
    hostileHtml: { bold: 50_000, divs: 100_000, loadMs: 8_000, drainMs: 20_000, acceptTimeoutMs: 15_000 },
    pgLive: { clients: 50, samples: 30 },
    cipherRounds: 7,
    dashboardRounds: 5,
  },
  medium: {
    name: 'medium',
    customers: 10_000,
    conversationsPerCustomer: 2,
    messagesPerConversation: 6,
    heavyMessages: 10_000,
    samples: 300,
    fanoutClients: 1_000,
    fanoutSamples: 30,
    ingestRequests: 10_000,
    ingestConcurrency: 16,
    browserSamples: 10,
    hostStarts: 3,
    hostileHtml: REVIEWED_HOSTILE_HTML,
    pgLive: { clients: 200, samples: 100 },
    cipherRounds: 3,
    dashboardRounds: 3,
  },
  full: {
    name: 'full',
    customers: 100_000,
    conversationsPerCustomer: 2,
    messagesPerConversation: 6,
    heavyMessages: 10_000,
    samples: 500,
    fanoutClients: 1_000,
    fanoutSamples: 50,
    ingestRequests: 20_000,
    ingestConcurrency: 16,
    browserSamples: 15,
    hostStarts: 3,
    hostileHtml: REVIEWED_HOSTILE_HTML,
    pgLive: { clients: 200, samples: 200 },
    cipherRounds: 3,
    dashboardRounds: 3,
  },
}

export interface BenchOptions {
  size: BenchSize
  seed: number
  /** Build (or reuse) the dataset and stop. */
  buildOnly: boolean
  /** Run the child processes with --cpu-prof, writing profiles to bench/profiles. */
  profile: boolean
  /** Run only scenarios whose group name matches. */
  only: string[] | null
}

export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: 'string', default: 'full' },
      seed: { type: 'string', default: '42' },
      'build-only': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      only: { type: 'string' },
    },
    strict: true,
  })
  const name = values.size as SizeName
  if (!SIZE_NAMES.includes(name)) throw new Error(`--size must be one of ${SIZE_NAMES.join(', ')}, not "${values.size}"`)
  const seed = Number(values.seed)
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, not "${values.seed}"`)
  return {
    size: SIZES[name],
    seed,
    buildOnly: values['build-only'],
    profile: values.profile,
    only: values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : null,
  }
}
