import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { BENCH_DIR, heavyThreadKey } from '../dataset'
import { requestJson } from '../http'
import { latencyRow, valueRow } from '../report'
import type { ChildHandle } from '../rpc'
import { summarize } from '../stats'
import { child, PROFILE_DIR, type BenchContext } from './context'

const ROOT = resolve(import.meta.dirname, '../../..')
export const CHROMIUM = process.env.THREADLINE_CHROMIUM ?? '/usr/bin/chromium'
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic']
const MB = 2 ** 20
const INBOX_ROW = '[role="listbox"][aria-label="Conversations"] [role="option"]'

/** Builds the renderer into this run's folder, so a concurrent build cannot swap the bundle mid-run. */
export function buildRenderer(outDir: string): string {
  const result = spawnSync(join(ROOT, 'node_modules/.bin/electron-vite'), ['build', '--outDir', outDir], { cwd: ROOT, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`electron-vite build failed:\n${result.stdout}\n${result.stderr}`)
  return join(outDir, 'renderer')
}

/**
 * The real renderer in Chromium against the browser host on the synced cache: cold start to
 * an interactive inbox, a long timeline on screen, triage actions, and the renderer's heap.
 * Times are taken inside the page (performance.now around a DOM click, a MutationObserver
 * for the result), so Playwright's own round trips are not counted.
 */
export async function runBrowserScenarios(ctx: BenchContext): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install -y chromium, or set THREADLINE_CHROMIUM)`)
  const { size } = ctx.options
  const rendererDir = buildRenderer(join(ctx.runDir, 'out'))
  const { heavy } = ctx.dataset
  // The inbox list is virtualized: only rows near the top are in the DOM. A new message puts
  // the long-timeline customer's open conversation first, where the agent would click it.
  const bump = await requestJson(ctx.agent, 'POST', new URL('/api/v1/inbound', ctx.server.url), ctx.integrationToken, {
    channel: 'chat',
    inbox: 'Website chat',
    externalId: `bench-heavy-bump-${Date.now()}`,
    from: { kind: 'chat', address: 'bench-heavy-visitor', name: heavy.name },
    threadKey: heavyThreadKey(heavy.messages),
    text: 'Any news on my parcel?',
  })
  if (bump.status !== 201) throw new Error(`inbound answered ${bump.status}: ${JSON.stringify(bump.json)}`)
  const heavyRow = `${INBOX_ROW}[data-customer-id="${heavy.customerId}"]`
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true })
  let host: ChildHandle | null = null
  let page: Page | null = null
  try {
    const cold: number[] = []
    const hostStart: number[] = []
    const loaded: number[] = []
    const tabs: number[] = []
    for (let i = 0; i < size.hostStarts; i++) {
      await host?.stop()
      await page?.context().close()
      host = child(ctx, 'host')
      await host.call('memory') // the child has loaded its modules: what follows is the app's own start
      // The browser's own new tab (context and renderer process) is the browser's start, not the
      // app's: it is timed on its own and the cold start begins with the tab open.
      const tab0 = performance.now()
      page = await newPage(browser)
      tabs.push(performance.now() - tab0)
      const t0 = performance.now()
      const started = await host.call<{ ms: number; url: string }>('start', {
        dataDir: ctx.cacheDir,
        serverUrl: ctx.server.url,
        token: ctx.token,
        rendererDir,
      })
      await page.goto(started.url)
      loaded.push(performance.now() - t0)
      await page.locator(INBOX_ROW).first().waitFor({ timeout: 60_000 })
      cold.push(performance.now() - t0)
      hostStart.push(started.ms)
    }
    if (!page || !host) throw new Error('no host started')
    ctx.rows.push(
      latencyRow('browser.coldStart', 'browser host cold start with the cache → interactive inbox', summarize(cold), { max: 1_000 }, `medians: startHost (open cache, start core) ${summarize(hostStart).median.toFixed(0)} ms, page load event at ${summarize(loaded).median.toFixed(0)} ms; before it, opening a browser tab took ${summarize(tabs).median.toFixed(0)} ms`),
    )

    const profiler = ctx.options.profile ? await startRendererProfile(page) : null
    const opens: number[] = []
    for (let i = 0; i < size.browserSamples + 1; i++) {
      await page.reload()
      await page.locator(heavyRow).first().waitFor({ timeout: 30_000 })
      const ms = await probe(page, OPEN_TIMELINE, { customerId: heavy.customerId, name: heavy.name })
      if (i > 0) opens.push(ms)
    }
    ctx.rows.push(
      latencyRow('timeline.screen', `  same timeline on screen in the renderer (click → items in the DOM)`, summarize(opens), { p95: 100 }),
    )

    const triage: number[] = []
    for (let i = 0; i < size.browserSamples * 2 + 2; i++) {
      const ms = await probe(page, TRIAGE)
      if (i >= 2) triage.push(ms)
      // Let the action reach the server and the refetches settle, as between two real keypresses.
      await page.waitForTimeout(150)
    }
    ctx.rows.push(latencyRow('triage', 'triage action (resolve / reopen) click → updated UI', summarize(triage), { p95: 16 }))

    if (profiler) await profiler.stop(join(PROFILE_DIR, 'renderer'), 'renderer-timeline-and-triage.cpuprofile')
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('HeapProfiler.collectGarbage')
    const heap = await cdp.send('Runtime.getHeapUsage')
    const hostMemory = await host.call<NodeJS.MemoryUsage>('memory')
    ctx.rows.push(
      valueRow('memory.renderer', 'renderer JS heap (CDP Runtime.getHeapUsage, after GC)', 'MB', heap.usedSize / MB, { atMost: 150 }),
      valueRow('memory.host', '  browser host process RSS (core + HTTP + IPC bridge)', 'MB', hostMemory.rss / MB, null),
    )
  } catch (err) {
    throw await withPageShot(err, page, 'browser-failure.png')
  } finally {
    await browser.close().catch(() => undefined)
    await host?.stop()
  }
}

/** A CPU profile of the page (CDP Profiler), for `--profile` runs. */
async function startRendererProfile(page: Page): Promise<{ stop(dir: string, name: string): Promise<void> }> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Profiler.enable')
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
  await cdp.send('Profiler.start')
  return {
    async stop(dir, name) {
      const { profile } = await cdp.send('Profiler.stop')
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, name), JSON.stringify(profile))
      await cdp.detach()
    },
  }
}

/** What the page showed when a step gave up says more than the timeout does: the error, naming a screenshot of it. */
export async function withPageShot(err: unknown, page: Page | null, file: string): Promise<unknown> {
  if (!page) return err
  const shot = join(BENCH_DIR, file)
  await page.screenshot({ path: shot }).catch(() => undefined)
  return new Error(`${err instanceof Error ? err.message : String(err)} (the page as it was: ${shot})`, { cause: err })
}

export async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } })
  return context.newPage()
}

/*
 * The in-page probes are plain JavaScript (this file is compiled without DOM types, and
 * the page must not depend on helpers a TypeScript transform might add).
 */

/** Clicks the customer's inbox row; resolves with the ms until timeline items are in the DOM. */
const OPEN_TIMELINE = `({ customerId, name }) => new Promise((resolve, reject) => {
  const rows = [...document.querySelectorAll('[role="listbox"][aria-label="Conversations"] [role="option"]')]
  const row = rows.find((r) => r.dataset.customerId === customerId) ?? rows.find((r) => (r.textContent ?? '').includes(name))
  if (!row) return reject(new Error(name + ' is not in the inbox list'))
  const shown = () => {
    const title = document.querySelector('.customer-title')
    return document.querySelectorAll('[data-testid="timeline"] > li[data-kind]').length > 0 && (!title || (title.textContent ?? '').includes(name))
  }
  const t0 = performance.now()
  const observer = new MutationObserver(() => {
    if (!shown()) return
    observer.disconnect()
    clearTimeout(timer)
    resolve(performance.now() - t0)
  })
  const timer = setTimeout(() => { observer.disconnect(); reject(new Error('the timeline did not show within 10 s')) }, 10000)
  observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true })
  row.click()
})`

/** Presses Resolve (or Reopen); resolves with the ms until the status pill shows the new status. */
const TRIAGE = `() => new Promise((resolve, reject) => {
  const status = () => (document.querySelector('[data-testid="conversation-status"]')?.textContent ?? '').trim()
  const button = [...document.querySelectorAll('button')].find((b) => /^(Resolve|Reopen)$/.test((b.textContent ?? '').trim()) && !b.disabled)
  if (!button) return reject(new Error('no enabled Resolve/Reopen button'))
  const before = status()
  const t0 = performance.now()
  const observer = new MutationObserver(() => {
    if (status() === before) return
    observer.disconnect()
    clearTimeout(timer)
    resolve(performance.now() - t0)
  })
  const timer = setTimeout(() => { observer.disconnect(); reject(new Error('the status stayed "' + before + '" for 5 s')) }, 5000)
  observer.observe(document.body, { subtree: true, childList: true, characterData: true })
  button.click()
})`

/** Runs one of the probes above in the page with `args`. */
function probe(page: Page, source: string, args?: unknown): Promise<number> {
  return page.evaluate(`(${source})(${JSON.stringify(args ?? null)})`) as Promise<number>
}
