import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedDemo } from '../../src/server/demo/seed'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/**
 * The workspace on screens from a small laptop to a large monitor, on the demo dataset: the
 * timeline keeps room to read with the composer open, no part of the workspace covers
 * another, and below the breakpoint the customer details open as a drawer over the timeline
 * only. The screenshots go to docs/screenshots/ when THREADLINE_SCREENSHOTS=docs, else to
 * the test's temp folder, so an ordinary run changes no tracked file.
 */

const SIZES = [
  { width: 1024, height: 640 },
  { width: 1280, height: 720 },
  { width: 1440, height: 900 },
  { width: 1920, height: 1080 },
]
/** Below this width the customer details are a drawer (see styles/layout.css). */
const DRAWER_BELOW = 1400
const MIN_TIMELINE_HEIGHT = 300
const MIN_COMPOSER_WIDTH = 400

interface Box {
  x: number
  y: number
  width: number
  height: number
}

let env: E2eEnvironment
let workspace: WorkspacePage
let outDir: string

beforeAll(async () => {
  env = await startEnvironment({
    seed: async (server) => {
      const summary = await seedDemo(server, { seed: 7, customers: 120, now: Date.now() })
      const user = await server.findUserByEmail(summary.agentEmail)
      if (!user) throw new Error('the demo agent is missing')
      return user
    },
  })
  outDir = process.env.THREADLINE_SCREENSHOTS === 'docs' ? resolve(import.meta.dirname, '../../docs/screenshots') : join(env.dir, 'shots')
  mkdirSync(outDir, { recursive: true })
  workspace = new WorkspacePage(env.page)
  await workspace.open(env.host.url)
  await workspace.inbox.getByRole('option').first().waitFor({ timeout: 30_000 })
})

afterAll(async () => {
  await env?.close()
})

/**
 * The part of an element the agent can see: its box cut by every clipping ancestor and the
 * window. (Written as page code: the tests are compiled without the DOM's types.)
 */
const VISIBLE_BOX = `(selector) => {
  const el = document.querySelector(selector)
  if (!el || el.getClientRects().length === 0 || getComputedStyle(el).visibility === 'hidden') return null
  const r = el.getBoundingClientRect()
  let [left, top, right, bottom] = [r.left, r.top, r.right, r.bottom]
  for (let p = el.parentElement; p; p = p.parentElement) {
    const style = getComputedStyle(p)
    if (style.overflowX === 'visible' && style.overflowY === 'visible') continue
    const c = p.getBoundingClientRect()
    left = Math.max(left, c.left)
    top = Math.max(top, c.top)
    right = Math.min(right, c.right)
    bottom = Math.min(bottom, c.bottom)
  }
  left = Math.max(left, 0)
  top = Math.max(top, 0)
  right = Math.min(right, window.innerWidth)
  bottom = Math.min(bottom, window.innerHeight)
  if (right <= left || bottom <= top) return null
  return { x: left, y: top, width: right - left, height: bottom - top }
}`

async function visibleBox(selector: string): Promise<Box | null> {
  return env.page.evaluate<Box | null>(`(${VISIBLE_BOX})(${JSON.stringify(selector)})`)
}

/** True when two boxes share more than a pixel's sliver in both directions. */
function overlaps(a: Box, b: Box): boolean {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)
  return w > 1 && h > 1
}

const PARTS = {
  sidebar: 'nav.sidebar',
  inbox: '.inbox-column',
  header: '.customer-header',
  timeline: '[data-testid="timeline-scroller"]',
  composer: 'form.composer',
  panel: '[data-testid="customer-panel"]',
} as const
type Part = keyof typeof PARTS

async function boxes(): Promise<Partial<Record<Part, Box>>> {
  const found: Partial<Record<Part, Box>> = {}
  for (const [part, selector] of Object.entries(PARTS) as [Part, string][]) {
    const box = await visibleBox(selector)
    if (box) found[part] = box
  }
  return found
}

/** Every pair of parts that overlaps, except the ones allowed to. */
function collisions(found: Partial<Record<Part, Box>>, allowed: [Part, Part][] = []): string[] {
  const parts = Object.keys(found) as Part[]
  const hits: string[] = []
  for (const [i, a] of parts.entries()) {
    for (const b of parts.slice(i + 1)) {
      if (allowed.some(([x, y]) => (x === a && y === b) || (x === b && y === a))) continue
      if (overlaps(found[a] as Box, found[b] as Box)) hits.push(`${a} × ${b}`)
    }
  }
  return hits
}

describe('the workspace fits the screen', () => {
  for (const size of SIZES) {
    const drawer = size.width < DRAWER_BELOW
    it(`at ${size.width}×${size.height}`, async () => {
      const page = env.page
      await page.setViewportSize(size)
      await workspace.showView('Email')
      await workspace.inbox.getByRole('option').first().click()
      await workspace.customerTitle.waitFor()
      await page.getByRole('textbox', { name: 'Reply to the customer' }).waitFor()
      await workspace.timeline.locator(':scope > li[data-kind]').first().waitFor()
      await workspace.inbox.focus()
      await page.keyboard.press('r')
      await page.waitForTimeout(300)

      await page.screenshot({ path: join(outDir, `layout-${size.width}x${size.height}.png`) })
      const found = await boxes()
      expect(Object.keys(found).sort()).toEqual(
        (['sidebar', 'inbox', 'header', 'timeline', 'composer', ...(drawer ? [] : ['panel'])] as string[]).sort(),
      )
      expect(found.timeline?.height).toBeGreaterThanOrEqual(MIN_TIMELINE_HEIGHT)
      expect(collisions(found)).toEqual([])

      if (!drawer) {
        expect(await page.getByRole('button', { name: 'Customer details' }).isVisible()).toBe(false)
        return
      }
      // The drawer: opened by its header button, over the timeline only.
      const toggle = page.getByRole('button', { name: 'Customer details' })
      await toggle.click()
      await page.getByTestId('customer-panel').waitFor({ state: 'visible' })
      await page.waitForTimeout(250)
      const withDrawer = await boxes()
      expect(withDrawer.panel).toBeDefined()
      expect(collisions(withDrawer, [['panel', 'timeline']])).toEqual([])
      expect(withDrawer.composer?.width).toBeGreaterThanOrEqual(MIN_COMPOSER_WIDTH)
      expect(withDrawer.timeline?.height).toBeGreaterThanOrEqual(MIN_TIMELINE_HEIGHT)
      await page.screenshot({ path: join(outDir, `layout-${size.width}x${size.height}-details.png`) })

      // Escape closes it, and the keyboard shortcut opens and closes it again.
      await page.keyboard.press('Escape')
      await page.getByTestId('customer-panel').waitFor({ state: 'hidden' })
      await workspace.inbox.focus()
      await page.keyboard.press('i')
      await page.getByTestId('customer-panel').waitFor({ state: 'visible' })
      await page.keyboard.press('i')
      await page.getByTestId('customer-panel').waitFor({ state: 'hidden' })
    })
  }
})
