import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Page } from 'playwright-core'
import { DEMO_SUPERVISOR_EMAIL } from '../../../src/server/demo/generate'
import { requestJson } from '../http'
import { latencyRow, valueRow } from '../report'
import type { ChildHandle } from '../rpc'
import { summarize, type Summary } from '../stats'
import { buildRenderer, CHROMIUM, CHROMIUM_ARGS, newPage, withPageShot } from './browser'
import { child, type BenchContext } from './context'

/** Reporting events reach supervisors only: what they add to a supervisor's initial sync. */
const SYNC_SLOWDOWN_MAX = 1.1
const DAY = 86_400_000
const TIME_ZONE = 'Europe/London'
/** Inbound conversations timed onto the Live tab, after the first ones that warm it up. */
const LIVE_SCREEN_WARMUP = 2
const LIVE_SCREEN_SAMPLES: Record<string, number> = { small: 20, medium: 40, full: 60 }
/** Reports and drill-downs timed per size: fewer than the size's usual samples, as each reads a month of events. */
const REPORT_SAMPLES: Record<string, number> = { small: 100, medium: 100, full: 100 }

interface DashboardFigures {
  firstReportMs: number
  report: Summary
  drill: Summary
  drillByMeasure: Summary
  drillByName: Summary
  drillBySubject: Summary
  drillByStatus: Summary
  live: Summary
  liveDrill: Summary
  liveDrillLast: Summary
  open: number
  created: number
  resolved: number
  eventsInRange: number
  events: number
  /** What the blocks a first sync kept take, in bytes per event they hold. */
  blockBytesPerEvent: number
  conversations: number
}

/**
 * Supervisors' dashboards: initial syncs of the whole dataset as an agent and as a supervisor in
 * turns (agent first in even rounds), each in a fresh core process, for what the reporting events
 * add; then, on the last supervisor's cache, a report over the dataset's last 30 days, drill-downs
 * of its figures and the live queues, all through the core as the dashboards ask for them; and,
 * on the same cache in the browser host, the real renderer's Live tab following inbound messages.
 */
export async function runDashboardScenarios(ctx: BenchContext): Promise<void> {
  const { server, dataset, options } = ctx
  const supervisor = await server.findUserByEmail(DEMO_SUPERVISOR_EMAIL)
  if (!supervisor) throw new Error(`the dataset has no supervisor ${DEMO_SUPERVISOR_EMAIL}: build it anew (its recipe is older)`)
  const tokens = { agent: ctx.token, supervisor: await server.createToken(supervisor.id, 'benchmark') }
  const target = (await server.counts()).lastSeq
  const times = { agent: [] as number[], supervisor: [] as number[] }
  let figures: DashboardFigures | null = null
  let supervisorCache: string | null = null
  const rounds = options.size.dashboardRounds
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['agent', 'supervisor'] as const) : (['supervisor', 'agent'] as const)
    for (const who of order) {
      const core = child(ctx, 'core-client')
      try {
        // The server runs in this process: its CPU time over the sync, beside the core's, tells which side the events cost.
        const serverCpuAtStart = process.cpuUsage()
        const sync = await core.call<{ ms: number; cpuMs: number; batches: number }>(
          'sync',
          { dataDir: join(ctx.runDir, `dashboards-${who}-${round}`), serverUrl: server.url, token: tokens[who], targetCursor: target, timeoutMs: 3_600_000 },
          3_700_000,
        )
        const serverCpu = process.cpuUsage(serverCpuAtStart)
        times[who].push(sync.ms)
        ctx.log(
          `  round ${round + 1}/${rounds}, ${who}: ${(sync.ms / 1000).toFixed(2)} s in ${sync.batches} batches (core CPU ${(sync.cpuMs / 1000).toFixed(2)} s, server CPU ${((serverCpu.user + serverCpu.system) / 1e6).toFixed(2)} s)`,
        )
        if (who === 'supervisor' && round === rounds - 1) {
          supervisorCache = join(ctx.runDir, `dashboards-${who}-${round}`)
          const to = dataset.historyEnd
          figures = await core.call<DashboardFigures>('dashboards', { from: to - 30 * DAY, to, timeZone: TIME_ZONE, samples: Math.min(options.size.samples, REPORT_SAMPLES[options.size.name] ?? 20) }, 1_800_000)
        }
      } finally {
        await core.stop()
      }
    }
  }
  const agent = summarize(times.agent)
  const withEvents = summarize(times.supervisor)
  ctx.rows.push(
    latencyRow('dashboards.sync.agent', 'initial sync into an empty cache as an agent (no reporting events)', agent, null, `${rounds} syncs of each`),
    latencyRow('dashboards.sync.supervisor', '  the same as a supervisor (with reporting events)', withEvents, null),
    valueRow('dashboards.sync.ratio', '  supervisor ÷ agent (median sync time)', '×', withEvents.median / agent.median, { atMost: SYNC_SLOWDOWN_MAX }),
  )
  if (!figures || !supervisorCache) return
  const note = `${figures.conversations.toLocaleString('en')} conversations, ${figures.events.toLocaleString('en')} reporting events cached (in blocks, ${figures.blockBytesPerEvent.toFixed(1)} bytes an event); the last 30 days: ${figures.eventsInRange.toLocaleString('en')} events, ${figures.created.toLocaleString('en')} conversations created, ${figures.resolved.toLocaleString('en')} resolved`
  ctx.rows.push(
    valueRow('dashboards.firstReport', 'the first report after the sync, the events read from the cache into memory', 'ms', figures.firstReportMs, null),
    latencyRow('dashboards.report', 'a report over the last 30 days, in the core (supervisor)', figures.report, { p95: 100 }, note),
    latencyRow(
      'dashboards.drill',
      '  the conversations behind one of its figures (created, resolved, first response, FCR), opened from the report shown: the first page of 100',
      figures.drill,
      { p95: 100 },
    ),
    latencyRow('dashboards.drillByMeasure', '    the same list sorted by first response, longest first', figures.drillByMeasure, { p95: 100 }),
    latencyRow('dashboards.drillByName', '    the same list sorted by customer name', figures.drillByName, { p95: 100 }),
    latencyRow('dashboards.drillBySubject', '    the same list sorted by subject', figures.drillBySubject, { p95: 100 }),
    latencyRow('dashboards.drillByStatus', '    the same list sorted by status', figures.drillByStatus, { p95: 100 }),
    latencyRow('dashboards.live', 'the live queues per channel, inbox and team', figures.live, { p95: 100 }),
    latencyRow('dashboards.liveDrill', '  the conversations behind the open count: the first page of 100', figures.liveDrill, { p95: 100 }, `${figures.open.toLocaleString('en')} open`),
    latencyRow('dashboards.liveDrillLast', '    its last page', figures.liveDrillLast, { p95: 100 }),
  )
  // The core that synced the cache has stopped (above): the browser host opens it now.
  const live = await runLiveOnScreen(ctx, supervisorCache, tokens.supervisor)
  ctx.rows.push(
    latencyRow(
      'dashboards.liveScreen',
      'inbound message → changed Live number on screen (renderer, supervisor)',
      live.frame,
      { p95: 1_000 },
      `a new chat conversation POSTed to /api/v1/inbound, ${live.frame.n} times after ${LIVE_SCREEN_WARMUP} to warm up; timed in the page from just before the POST is sent ` +
        `(the CDP answer carrying that time back to Node is counted too) to the first animation frame after the Open tile shows one more: HTTP ingest, the push to the host's core, its pull and apply, ` +
        `the renderer's refetch of the live queues through the IPC bridge, their recompute and React's render. Medians: the tile's text changed at ` +
        `${live.dom.median.toFixed(0)} ms; the POST was answered (201) after ${live.post.median.toFixed(0)} ms, timed in Node`,
    ),
  )
}

interface LiveOnScreen {
  /** To the first animation frame after the change: the number is painted then. */
  frame: Summary
  /** To the MutationObserver callback that saw the new number in the DOM. */
  dom: Summary
  /** The inbound POST's own round trip, measured in Node. */
  post: Summary
}

/**
 * The browser host on the supervisor's synced cache, the real renderer (built for this run, or
 * the browser group's build when it ran) on its Live tab in Chromium, and new chat conversations
 * posted by the integration, each timed until the Open tile shows it.
 */
async function runLiveOnScreen(ctx: BenchContext, dataDir: string, token: string): Promise<LiveOnScreen> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install -y chromium, or set THREADLINE_CHROMIUM)`)
  const began = performance.now()
  const built = join(ctx.runDir, 'out')
  const reused = existsSync(join(built, 'renderer', 'index.html'))
  const rendererDir = reused ? join(built, 'renderer') : buildRenderer(built)
  const buildMs = reused ? 0 : performance.now() - began
  const samples = LIVE_SCREEN_SAMPLES[ctx.options.size.name] ?? 20
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true })
  let host: ChildHandle | null = null
  let page: Page | null = null
  try {
    host = child(ctx, 'host')
    const started = await host.call<{ url: string }>('start', { dataDir, serverUrl: ctx.server.url, token, rendererDir })
    page = await newPage(browser)
    await page.goto(started.url)
    // As a supervisor gets there: the sidebar's Dashboards entry, which opens on the Live tab.
    const entry = page.getByRole('navigation', { name: 'Inbox views' }).getByRole('button', { name: 'Dashboards' })
    await entry.waitFor({ timeout: 60_000 })
    await entry.click()
    await page.locator(OPEN_TILE).waitFor({ timeout: 30_000 })
    const readyMs = performance.now() - began

    const stamp = Date.now()
    const frame: number[] = []
    const dom: number[] = []
    const post: number[] = []
    for (let i = 0; i < samples + LIVE_SCREEN_WARMUP; i++) {
      // Let the previous message's refetches settle, as between two messages on a real queue.
      await page.waitForTimeout(250)
      const t0 = (await page.evaluate(`(${ARM_OPEN_TILE})()`)) as number
      const sent = performance.now()
      const answer = await requestJson(ctx.agent, 'POST', new URL('/api/v1/inbound', ctx.server.url), ctx.integrationToken, {
        channel: 'chat',
        inbox: 'Website chat',
        externalId: `bench-live-${stamp}-${i}`,
        threadKey: `bench-live-session-${stamp}-${i}`,
        from: { kind: 'chat', address: `bench-live-visitor-${stamp}-${i}`, name: `Live visitor ${i + 1}` },
        text: 'Hello, is anyone there? My order has not arrived.',
      })
      const posted = performance.now() - sent
      if (answer.status !== 201) throw new Error(`inbound answered ${answer.status}: ${JSON.stringify(answer.json)}`)
      const seen = (await page.evaluate('window.__threadlineBenchLive')) as { dom: number; frame: number }
      if (i < LIVE_SCREEN_WARMUP) continue
      frame.push(seen.frame - t0)
      dom.push(seen.dom - t0)
      post.push(posted)
    }
    const took = performance.now() - began
    ctx.log(
      `  live tab: ${reused ? "the browser group's renderer build" : `renderer built in ${(buildMs / 1000).toFixed(1)} s`}, on screen after ${(readyMs / 1000).toFixed(1)} s; ` +
        `${samples + LIVE_SCREEN_WARMUP} inbound messages, ${(took / 1000).toFixed(1)} s in all`,
    )
    ctx.details.dashboardsLiveScreen = { rendererBuildMs: Math.round(buildMs), rendererReused: reused, readyMs: Math.round(readyMs), totalMs: Math.round(took) }
    return { frame: summarize(frame), dom: summarize(dom), post: summarize(post) }
  } catch (err) {
    throw await withPageShot(err, page, 'dashboards-live-failure.png')
  } finally {
    await browser.close().catch(() => undefined)
    await host?.stop()
  }
}

/** The number on the Live tab's Open tile. */
const OPEN_TILE = '[aria-label="Dashboards"] ul[aria-label="Totals"] .live-tile-open .live-tile-number'

/*
 * Plain JavaScript for the page (this file is compiled without DOM types). Reads the Open tile,
 * watches it for one more, and leaves on window a promise of the page's performance.now() when
 * the DOM showed it and at the next animation frame; resolves with the page's now, taken last.
 */
const ARM_OPEN_TILE = `() => {
  const tile = () => document.querySelector(${JSON.stringify(OPEN_TILE)})
  const read = () => Number((tile()?.textContent ?? '').replace(/[^0-9]/g, ''))
  const before = read()
  const totals = tile()?.closest('ul')
  if (!totals) throw new Error('the Live tab shows no Open tile')
  window.__threadlineBenchLive = new Promise((resolve, reject) => {
    const observer = new MutationObserver(() => {
      const now = read()
      if (now === before) return
      const dom = performance.now()
      observer.disconnect()
      clearTimeout(timer)
      if (now !== before + 1) return reject(new Error('the Open tile went from ' + before + ' to ' + now + ', not up by one'))
      requestAnimationFrame(() => resolve({ dom, frame: performance.now() }))
    })
    const timer = setTimeout(() => { observer.disconnect(); reject(new Error('the Open tile stayed at ' + before + ' for 10 s')) }, 10000)
    observer.observe(document.querySelector('[aria-label="Dashboards"]') ?? document.body, { subtree: true, childList: true, characterData: true })
  })
  return performance.now()
}`
