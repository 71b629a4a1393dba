import { chromium } from 'playwright-core'

/**
 * Captures the workspace for the README: `npx tsx scripts/screenshot.ts <host url> [out.png]`
 * against a running `npm start` (browser host). Opens the first conversation whose customer
 * reached out on at least three channels, so the shot shows a merged timeline.
 * THREADLINE_SHOT_STATUS picks the status filter to show (a sidebar button, e.g. "Any status").
 */
const [url, out = 'docs/screenshot.png'] = process.argv.slice(2)
if (!url) {
  console.error('usage: tsx scripts/screenshot.ts <host url with #token=…> [out.png]')
  process.exit(1)
}

const browser = await chromium.launch({
  executablePath: process.env.THREADLINE_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
})
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 })
  await page.goto(url)
  if (process.env.THREADLINE_SHOT_STATUS) {
    await page.getByRole('button', { name: process.env.THREADLINE_SHOT_STATUS, exact: true }).click()
  }
  const rows = page.getByRole('listbox', { name: 'Conversations' }).getByRole('option')
  await rows.first().waitFor({ timeout: 60_000 })
  const timeline = page.getByTestId('timeline')
  for (let i = 0; i < Math.min(20, await rows.count()); i++) {
    await rows.nth(i).click()
    await timeline.locator('li[data-kind]').first().waitFor()
    await page.waitForTimeout(300)
    const channels = await timeline
      .locator('li[data-channel]')
      .evaluateAll((items) => new Set(items.map((li) => li.getAttribute('data-channel'))).size)
    if (channels >= 3) break
  }
  await page.waitForTimeout(500)
  await page.screenshot({ path: out })
  console.log(`saved ${out}`)
} finally {
  await browser.close()
}
