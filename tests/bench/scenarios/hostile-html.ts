import http from 'node:http'
import { requestJson } from '../http'
import { latencyRow, valueRow } from '../report'
import type { HostileHtmlSize } from '../sizes'
import { summarize } from '../stats'
import { child, type BenchContext } from './context'

/**
 * Pathological HTML email against everyone else's requests: while deeply
 * nested bodies arrive at POST /api/v1/inbound, a steady stream of /health, REST reads and plain
 * webhook posts from another process measures how long the server leaves them waiting.
 */

type Kind = 'health' | 'rest' | 'webhook'

interface SteadyResult {
  ms: number
  latencies: Record<Kind, number[]>
  statuses: Record<string, number>
  unanswered: number
}

interface Hostile {
  id: string
  label: string
  html: string
}

interface Accepted {
  hostile: Hostile
  /** null: no answer within the timeout. */
  status: number | null
  ms: number
  body?: unknown
}

interface Stored {
  html: boolean
  htmlLength: number
  textLength: number
}

/** One request every 20 ms is far below what the server handles, so any wait is the server's, not the load's own queue. */
const INTERVAL_MS = 20
/** How long the load runs before the first hostile message: the figures start from a responsive server. */
const BASELINE_MS = 1_000

const KIND_ROWS: Record<Kind, string> = {
  health: '  GET /health',
  rest: '  GET /api/v1/customers?limit=20 (agent token)',
  webhook: '  POST /api/v1/inbound, a plain-text email',
}

function hostileBodies(size: HostileHtmlSize): Hostile[] {
  const bold = '<p>' + '<b>'.repeat(size.bold) + 'x</p>'
  const divs = '<div>'.repeat(size.divs) + 'x' + '</div>'.repeat(size.divs)
  const kb = (html: string): string => `${Math.round(Buffer.byteLength(html) / 1024).toLocaleString('en')} KB`
  return [
    { id: 'bold', label: `<p> + ${size.bold.toLocaleString('en')} × <b> (${kb(bold)})`, html: bold },
    { id: 'divs', label: `${size.divs.toLocaleString('en')} nested <div> (${kb(divs)})`, html: divs },
  ]
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/**
 * The server runs in this process, so the timer cannot fire while a synchronous sanitize holds
 * the event loop; it fires right after, and the message is still reported as over time.
 */
async function accept(ctx: BenchContext, agent: http.Agent, runId: string, hostile: Hostile, timeoutMs: number): Promise<Accepted> {
  const started = performance.now()
  const post = requestJson(agent, 'POST', new URL('/api/v1/inbound', ctx.server.url), ctx.integrationToken, {
    channel: 'email',
    inbox: 'Support email',
    externalId: `<bench-hostile-${runId}-${hostile.id}@example.test>`,
    from: { kind: 'email', address: `hostile-${runId}-${hostile.id}@example.test`, name: `Hostile Sender ${hostile.id}` },
    subject: `Formatting test ${hostile.id}`,
    text: `Hostile HTML ${hostile.id}: the plain-text part of this email survives whatever happens to its HTML.`,
    html: hostile.html,
  }).then(
    (res) => ({ hostile, status: res.status, ms: performance.now() - started, body: res.json }),
    (err: unknown) => ({ hostile, status: 0, ms: performance.now() - started, body: String(err) }),
  )
  let timer: NodeJS.Timeout | undefined
  const overTime = new Promise<Accepted>((resolve) => {
    timer = setTimeout(() => resolve({ hostile, status: null, ms: performance.now() - started }), timeoutMs)
  })
  try {
    return await Promise.race([post, overTime])
  } finally {
    clearTimeout(timer)
  }
}

async function storedOf(ctx: BenchContext, accepted: Accepted): Promise<Stored | string> {
  if (accepted.status !== 201) return 'not stored as a message'
  const { conversationId, itemId } = accepted.body as { conversationId: string; itemId: string }
  const res = await requestJson(ctx.agent, 'GET', new URL(`/api/v1/conversations/${conversationId}/messages?limit=500`, ctx.server.url), ctx.token)
  const message = (res.json as { items?: { id: string; text: string; html: string | null }[] }).items?.find((m) => m.id === itemId)
  if (!message) return `not found in its conversation (GET answered ${res.status})`
  return { html: message.html !== null, htmlLength: message.html?.length ?? 0, textLength: message.text.length }
}

const describeStored = (stored: Stored | string): string =>
  typeof stored === 'string'
    ? stored
    : `stored text ${stored.textLength.toLocaleString('en')} chars, ` +
      (stored.html ? `html ${stored.htmlLength.toLocaleString('en')} chars` : 'no html')

export async function runHostileHtmlScenario(ctx: BenchContext): Promise<void> {
  const size = ctx.options.size.hostileHtml
  const runId = Date.now().toString(36)
  const load = child(ctx, 'http-load')
  // Its own agent, destroyed at the end, so a hostile post that overran cannot hold a socket the later reads need.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const steadyArgs = { url: ctx.server.url, token: ctx.token, integrationToken: ctx.integrationToken, intervalMs: INTERVAL_MS, senders: 50 }
  try {
    // Unmeasured: warms the JIT, the statement caches and the keep-alive sockets.
    await load.call('steady', { ...steadyArgs, ms: 1_000, drainMs: 5_000, runId: `warm${runId}` })
    const steady = load.call<SteadyResult>('steady', { ...steadyArgs, ms: size.loadMs, drainMs: size.drainMs, runId }, size.loadMs + size.drainMs + 60_000)
    // Awaited below; this keeps a failure in between from leaving it rejected unhandled.
    steady.catch(() => undefined)
    await sleep(BASELINE_MS)
    const accepted: Accepted[] = []
    const hostiles = hostileBodies(size)
    for (const hostile of hostiles) {
      const a = await accept(ctx, agent, runId, hostile, size.acceptTimeoutMs)
      accepted.push(a)
      ctx.log(`  ${hostile.label}: ${a.status === null ? 'did not finish' : `status ${a.status}`} after ${(a.ms / 1000).toFixed(1)} s`)
      // A server still busy with one would only queue the next behind it.
      if (a.status === null) break
    }
    const result = await steady

    const all = summarize(Object.values(result.latencies).flat())
    const seconds = (size.loadMs / 1000).toFixed(0)
    ctx.rows.push(
      latencyRow(
        'hostile.concurrent',
        'REST and webhook requests while hostile HTML email arrives',
        all,
        { p99: 50 },
        `one request every ${INTERVAL_MS} ms for ${seconds} s from another process; statuses ${JSON.stringify(result.statuses)}` +
          (result.unanswered ? `; ${result.unanswered} unanswered after ${(size.drainMs / 1000).toFixed(0)} s, counted with the time they waited` : ''),
      ),
      ...(Object.keys(KIND_ROWS) as Kind[]).map((kind) => latencyRow(`hostile.${kind}`, KIND_ROWS[kind], summarize(result.latencies[kind]), null)),
    )

    const payloads: Record<string, unknown>[] = []
    for (const hostile of hostiles) {
      const a = accepted.find((x) => x.hostile === hostile)
      const scenario = `  hostile email accepted: ${hostile.label}`
      if (!a) {
        ctx.rows.push(valueRow(`hostile.accept.${hostile.id}`, scenario, 'ms', Number.NaN, null, 'not sent: an earlier hostile message did not finish'))
        continue
      }
      const stored = await storedOf(ctx, a)
      const outcome =
        a.status === null ? `did not finish within ${(size.acceptTimeoutMs / 1000).toFixed(0)} s` : `status ${a.status}; ${describeStored(stored)}`
      ctx.rows.push(valueRow(`hostile.accept.${hostile.id}`, scenario, 'ms', a.ms, null, outcome))
      payloads.push({ id: hostile.id, bytes: Buffer.byteLength(hostile.html), status: a.status, ms: a.ms, stored })
    }
    ctx.details.hostileHtml = { intervalMs: INTERVAL_MS, loadMs: size.loadMs, statuses: result.statuses, unanswered: result.unanswered, payloads }
  } finally {
    agent.destroy()
    await load.stop()
  }
}
