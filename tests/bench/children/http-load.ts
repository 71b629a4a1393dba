import http from 'node:http'
import { serveParent } from '../rpc'

/**
 * HTTP load generators on keep-alive agents, in their own process so a server that stalls its
 * event loop cannot stall the clock that times it. Node's own http client keeps the
 * generator's overhead small and needs no extra package.
 */

interface LoadArgs {
  url: string
  /**
   * Several nodes of one cluster instead of `url`: the in-flight requests are dealt out over them,
   * each keep-alive connection staying with one node as behind a load balancer (worker k posts to
   * urls[k % urls.length]).
   */
  urls?: string[]
  /** An integration's token: inbound items are posted by integrations. */
  token: string
  count: number
  concurrency: number
  /** Makes every externalId of this run unique. */
  runId: string
  senders: number
}

interface SteadyArgs {
  url: string
  /** The agent's token, for the REST reads. */
  token: string
  /** An integration's token, for the inbound posts. */
  integrationToken: string
  /** Requests are started for this long, one every `intervalMs`, taking turns over the kinds. */
  ms: number
  intervalMs: number
  /** How long answers to requests already started are waited for once `ms` is over. */
  drainMs: number
  runId: string
  senders: number
}

const KINDS = ['health', 'rest', 'webhook'] as const
type Kind = (typeof KINDS)[number]

function send(agent: http.Agent, method: 'GET' | 'POST', url: URL, token: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
        },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** A small plain-text email, as a mail provider's webhook posts it. */
function plainInbound(runId: string, i: number, senders: number): string {
  const sender = i % senders
  return JSON.stringify({
    channel: 'email',
    inbox: 'Support email',
    externalId: `<bench-load-${runId}-${i}@example.test>`,
    from: { kind: 'email', address: `load-${sender}@example.test`, name: `Load Sender ${sender}` },
    subject: `Load test ${sender}`,
    text: `Inbound ${i}: where is my order? It was due last week and tracking has not moved.`,
  })
}

const count = (statuses: Record<string, number>, status: number | string): void => {
  statuses[status] = (statuses[status] ?? 0) + 1
}

serveParent({
  /** Closed loop: `concurrency` inbound posts in flight, `count` in all, each timed from write to the whole response. */
  async run(args: LoadArgs) {
    const urls = (args.urls?.length ? args.urls : [args.url]).map((u) => new URL('/api/v1/inbound', u))
    const agent = new http.Agent({ keepAlive: true, maxSockets: args.concurrency })
    const latencies: number[] = []
    const statuses: Record<string, number> = {}
    /** Requests answered 201 by each of `urls`. */
    const createdBy = urls.map(() => 0)
    let next = 0
    const started = performance.now()
    const worker = async (_: unknown, k: number): Promise<void> => {
      const node = k % urls.length
      for (;;) {
        const i = next++
        if (i >= args.count) return
        const t = performance.now()
        const status = await send(agent, 'POST', urls[node]!, args.token, plainInbound(args.runId, i, args.senders))
        latencies.push(performance.now() - t)
        count(statuses, status)
        if (status === 201) createdBy[node]!++
      }
    }
    await Promise.all(Array.from({ length: args.concurrency }, worker))
    const ms = performance.now() - started
    agent.destroy()
    return { ms, latencies, statuses, createdBy }
  },

  /**
   * Open loop: a request starts on schedule whether or not the earlier ones were answered, so a
   * server that stops answering is charged for every request that waits on it, not only the one
   * in flight. A request still unanswered when the drain ends counts with the time it waited.
   */
  async steady(args: SteadyArgs) {
    const urls: Record<Kind, URL> = {
      health: new URL('/health', args.url),
      rest: new URL('/api/v1/customers?limit=20', args.url),
      webhook: new URL('/api/v1/inbound', args.url),
    }
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 })
    const latencies: Record<Kind, number[]> = { health: [], rest: [], webhook: [] }
    const statuses: Record<string, number> = {}
    const pending = new Map<number, { kind: Kind; started: number }>()
    const answered: Promise<void>[] = []
    const started = performance.now()
    for (let i = 0; i * args.intervalMs < args.ms; i++) {
      const wait = started + i * args.intervalMs - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      const kind = KINDS[i % KINDS.length]!
      const t = performance.now()
      pending.set(i, { kind, started: t })
      const request =
        kind === 'webhook' ? send(agent, 'POST', urls.webhook, args.integrationToken, plainInbound(args.runId, i, args.senders)) : send(agent, 'GET', urls[kind], args.token)
      answered.push(
        request.then(
          (status) => {
            pending.delete(i)
            latencies[kind].push(performance.now() - t)
            count(statuses, status)
          },
          () => {
            if (pending.delete(i)) count(statuses, 'error')
          },
        ),
      )
    }
    let drainTimer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all(answered), new Promise((r) => (drainTimer = setTimeout(r, args.drainMs)))])
    clearTimeout(drainTimer)
    const gaveUp = performance.now()
    for (const { kind, started: t } of pending.values()) {
      latencies[kind].push(gaveUp - t)
      count(statuses, 'unanswered')
    }
    const unanswered = pending.size
    pending.clear()
    agent.destroy()
    return { ms: performance.now() - started, latencies, statuses, unanswered }
  },
})
