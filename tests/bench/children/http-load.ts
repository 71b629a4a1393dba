import http from 'node:http'
import { serveParent } from '../rpc'

/**
 * A closed-loop HTTP load generator on a keep-alive agent: `concurrency` requests in flight,
 * `count` in all, each timed from write to the whole response. Node's own http client keeps
 * the generator's overhead small and needs no extra package.
 */

interface LoadArgs {
  url: string
  token: string
  count: number
  concurrency: number
  /** Distinct request bodies; request i sends bodies[i % bodies.length] with its externalId made unique. */
  runId: string
  senders: number
}

function post(agent: http.Agent, url: URL, token: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
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

serveParent({
  async run(args: LoadArgs) {
    const url = new URL('/api/v1/inbound', args.url)
    const agent = new http.Agent({ keepAlive: true, maxSockets: args.concurrency })
    const latencies: number[] = []
    const statuses: Record<string, number> = {}
    let next = 0
    const started = performance.now()
    const worker = async (): Promise<void> => {
      for (;;) {
        const i = next++
        if (i >= args.count) return
        const sender = i % args.senders
        const body = JSON.stringify({
          channel: 'email',
          inbox: 'Support email',
          externalId: `<bench-load-${args.runId}-${i}@example.test>`,
          from: { kind: 'email', address: `load-${sender}@example.test`, name: `Load Sender ${sender}` },
          subject: `Load test ${sender}`,
          text: `Inbound ${i}: where is my order? It was due last week and tracking has not moved.`,
        })
        const t = performance.now()
        const status = await post(agent, url, args.token, body)
        latencies.push(performance.now() - t)
        statuses[status] = (statuses[status] ?? 0) + 1
      }
    }
    await Promise.all(Array.from({ length: args.concurrency }, worker))
    const ms = performance.now() - started
    agent.destroy()
    return { ms, latencies, statuses }
  },
})
