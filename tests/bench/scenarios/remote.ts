import { requestJson } from '../http'
import { latencyRow, valueRow } from '../report'
import { summarize, timeEach } from '../stats'
import type { BenchContext } from './context'

/**
 * What a web-based inbox pays: the same timeline page through the server's REST API over
 * keep-alive HTTP on loopback, and the server's customer search (the server has no message
 * search to compare the local one with).
 */
export async function runRemoteScenarios(ctx: BenchContext, local: { heavyTimelineMedian: number }): Promise<void> {
  const { server, dataset, options } = ctx
  const timelineUrl = new URL(`/api/v1/customers/${dataset.heavy.customerId}/timeline?limit=100`, server.url)
  const timeline = summarize(
    await timeEach(options.size.samples, async () => {
      const res = await requestJson(ctx.agent, 'GET', timelineUrl, ctx.token)
      if (res.status !== 200) throw new Error(`REST timeline answered ${res.status}`)
    }),
  )
  ctx.rows.push(
    latencyRow('remote.timeline', '  same timeline page through the REST API (loopback)', timeline, null),
    valueRow('remote.timeline.ratio', '  local ÷ remote (median)', '×', local.heavyTimelineMedian / timeline.median, null),
  )

  const terms = ['parcel', 'refund', 'gmail', 'Harper', 'zzzz-no-match']
  const search = summarize(
    await timeEach(Math.max(10, Math.floor(options.size.samples / 5)), async (i) => {
      const url = new URL(`/api/v1/customers?q=${encodeURIComponent(terms[i % terms.length]!)}&limit=50`, server.url)
      const res = await requestJson(ctx.agent, 'GET', url, ctx.token)
      if (res.status !== 200) throw new Error(`REST customer search answered ${res.status}`)
    }),
  )
  ctx.rows.push(latencyRow('remote.customerSearch', '  server customer search by name/address (REST, trigram index)', search, { p95: 10 }))
}
