import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { startHost, type BrowserHost } from '../../../src/host/host'
import type { E2eEnvironment } from './environment'

/**
 * Another user on another computer: their own client core and cache (a second browser host on
 * the same server) and a page of their own in the environment's browser.
 */
export async function openSecondClient(
  env: E2eEnvironment,
  user: { id: string; name: string },
): Promise<{ host: BrowserHost; page: Page; close(): Promise<void> }> {
  const token = await env.server.createToken(user.id)
  const host = await startHost({
    core: { dataDir: join(env.dir, `client-${user.id}`), serverUrl: env.server.url, token },
    rendererDir: join(env.dir, 'out', 'renderer'),
    port: 0,
  })
  const page = await env.browser.newPage({ viewport: { width: 1440, height: 900 } })
  page.on('pageerror', (error) => console.error(`[${user.name}'s page error]`, error.message))
  await page.goto(host.url)
  return {
    host,
    page,
    async close() {
      await page.close().catch(() => {})
      await host.close().catch(() => {})
    },
  }
}
