import { requestJson } from '../http'
import { latencyRow } from '../report'
import { epochNow, summarize } from '../stats'
import { child, type BenchContext } from './context'

/** One inbound message fanned out as pokes to many connected sync clients (bare socket.io clients). */
export async function runFanoutScenario(ctx: BenchContext): Promise<void> {
  const { size } = ctx.options
  const clients = child(ctx, 'socket-clients')
  try {
    const connected = await clients.call<{ ms: number; connected: number }>('connect', { serverUrl: ctx.server.url, token: ctx.token, count: size.fanoutClients })
    ctx.log(`  ${connected.connected} sync clients connected in ${(connected.ms / 1000).toFixed(1)} s`)
    const url = new URL('/api/v1/inbound', ctx.server.url)
    const latencies: number[] = []
    let missing = 0
    const runId = Date.now().toString(36)
    for (let i = 0; i < size.fanoutSamples + 2; i++) {
      const marker = `Fan-out ${runId} ${i}: hello everyone`
      await clients.call('expect', marker)
      const t0 = epochNow()
      const res = await requestJson(ctx.agent, 'POST', url, ctx.integrationToken, {
        channel: 'chat',
        inbox: 'Website chat',
        externalId: `bench-fanout-${runId}-${i}`,
        from: { kind: 'chat', address: `fanout-visitor-${i % 10}`, name: `Fan-out Visitor ${i % 10}` },
        threadKey: `bench-fanout-${runId}-${i % 10}`,
        text: marker,
      })
      if (res.status !== 201) throw new Error(`inbound answered ${res.status}: ${JSON.stringify(res.json)}`)
      const got = await clients.call<{ times: number[]; missing: number }>('collect', { marker, timeoutMs: 10_000 })
      if (i < 2) continue // warm-up
      missing += got.missing
      latencies.push(...got.times.map((t) => t - t0))
      await new Promise((r) => setTimeout(r, 50))
    }
    ctx.rows.push(
      latencyRow(
        'live.fanout',
        `same, fanned out to ${connected.connected.toLocaleString('en')} connected sync clients (all arrivals)`,
        summarize(latencies),
        { p95: 100 },
        missing ? `${missing} arrivals missing after 10 s` : undefined,
      ),
    )
  } finally {
    await clients.stop()
  }
}
