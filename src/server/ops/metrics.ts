import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

/** Seconds: from sub-millisecond commits to a client waiting on a slow node. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

/**
 * The server's Prometheus metrics, one registry per server (tests run several in one process).
 * Counts and timings only: no label carries a name, an address or a message.
 */
export class ServerMetrics {
  readonly registry = new Registry()

  readonly syncClients = new Gauge({
    name: 'threadline_sync_clients',
    help: 'Sync clients connected to this node',
    registers: [this.registry],
  })

  readonly ingested = new Counter({
    name: 'threadline_ingest_items_total',
    help: 'Inbound items handed to this node, by outcome (stored, duplicate, refused, dead_lettered)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  })

  readonly ingestSeconds = new Histogram({
    name: 'threadline_ingest_seconds',
    help: 'From an inbound item handed over to its transaction committed (stored items only)',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  })

  readonly fanoutSeconds = new Histogram({
    name: 'threadline_fanout_seconds',
    help: "From a transaction committed to every connected client's poke sent",
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  })

  readonly pullSeconds = new Histogram({
    name: 'threadline_pull_seconds',
    help: 'Time to answer one sync pull batch',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  })

  readonly deadLettered = new Counter({
    name: 'threadline_dead_letters_total',
    help: 'Items this node put in the dead letters: inbound items that failed after acceptance, and refused webhooks',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  })

  readonly outboundQueue = new Gauge({
    name: 'threadline_outbound_queue',
    help: 'Outbound messages waiting for this node to hand them to their provider',
    registers: [this.registry],
  })

  readonly leasesHeld = new Gauge({
    name: 'threadline_leases_held',
    help: 'Work run by one node of the cluster at a time (the IMAP receivers, outbound sending, dead-letter retries): 1 while this node holds it',
    labelNames: ['work'] as const,
    registers: [this.registry],
  })

  /** Reads when the oldest queued outbound message was written (null: none queued); set by the server. */
  private oldestQueuedAt: (() => Promise<number | null>) | null = null

  readonly outboundLag = new Gauge({
    name: 'threadline_outbound_lag_seconds',
    help: 'Age of the oldest outbound message still queued in the database (0 when none): how far sending is behind, whichever node sends',
    registers: [this.registry],
    collect: async () => {
      const oldest = await this.oldestQueuedAt?.()
      this.outboundLag.set(oldest == null ? 0 : Math.max(0, (Date.now() - oldest) / 1000))
    },
  })

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'threadline_' })
  }

  /** Where the outbound lag is read from at each scrape. */
  measureOutboundLag(oldestQueuedAt: () => Promise<number | null>): void {
    this.oldestQueuedAt = oldestQueuedAt
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}

/** Seconds since `start` (a performance.now() reading), for a histogram. */
export const secondsSince = (start: number): number => (performance.now() - start) / 1000
