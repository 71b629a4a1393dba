import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { startHost, type BrowserHost } from '../../../src/host/host'
import type { ServerConfig } from '../../../src/server/config'
import { startServer, type SyncServer } from '../../../src/server/server'

/**
 * The whole product for one end-to-end file: a sync server on a free loopback port with its
 * own SQLite file, the browser host running the client core on its own cache, and Debian's
 * Chromium. The server can be stopped and started again on the same port and file, so a
 * test can take the network away from the client.
 */

const root = resolve(import.meta.dirname, '../../..')
const CHROMIUM = process.env.THREADLINE_CHROMIUM ?? '/usr/bin/chromium'

export interface E2eEnvironment {
  dir: string
  server: SyncServer
  host: BrowserHost
  browser: Browser
  page: Page
  agent: { id: string; token: string }
  /** Stops the sync server; the client core keeps running offline. */
  stopServer(): Promise<void>
  /** Starts it again on the same port and database file. */
  startServer(): Promise<void>
  close(): Promise<void>
}

/** Builds the app into this test's own folder, so a concurrent build cannot swap the bundle under it. */
function buildRenderer(outDir: string): string {
  const result = spawnSync(join(root, 'node_modules/.bin/electron-vite'), ['build', '--outDir', outDir], { cwd: root, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`electron-vite build failed:\n${result.stdout}\n${result.stderr}`)
  return join(outDir, 'renderer')
}

export async function startEnvironment(options: {
  /** Fills the server before the client first syncs; returns the agent to sign in as. */
  seed(server: SyncServer): Promise<{ id: string }>
  viewport?: { width: number; height: number }
  /** More server configuration, e.g. inboxes with real connectors. */
  server?: Omit<Partial<ServerConfig>, 'dbPath' | 'port' | 'host'>
  /** Starts the client with no token: it shows the sign-in screen. */
  signedOut?: boolean
}): Promise<E2eEnvironment> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`)
  const dir = mkdtempSync(join(tmpdir(), 'threadline-e2e-'))
  const rendererDir = buildRenderer(join(dir, 'out'))
  const dbPath = join(dir, 'server.sqlite')
  let server = await startServer({ outbound: 'sandbox', ...options.server, dbPath, port: 0, host: '127.0.0.1' })
  const port = server.port
  const agent = await options.seed(server)
  const token = await server.createToken(agent.id)
  const core = options.signedOut ? { dataDir: join(dir, 'client') } : { dataDir: join(dir, 'client'), serverUrl: server.url, token }
  const host = await startHost({ core, rendererDir, port: 0 })
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  })
  const page = await browser.newPage({ viewport: options.viewport ?? { width: 1440, height: 900 }, deviceScaleFactor: 1 })
  // An uncaught error unmounts the whole app, and every later step only times out: say why.
  page.on('pageerror', (error) => console.error('[page error]', error.message))
  page.on('crash', () => console.error('[page crashed]'))
  let running = true
  const env: E2eEnvironment = {
    dir,
    get server() {
      return server
    },
    host,
    browser,
    page,
    agent: { id: agent.id, token },
    async stopServer() {
      if (!running) return
      running = false
      await server.close()
    },
    async startServer() {
      if (running) return
      server = await startServer({ outbound: 'sandbox', ...options.server, dbPath, port, host: '127.0.0.1' })
      running = true
    },
    async close() {
      await browser.close().catch(() => {})
      await host.close().catch(() => {})
      if (running) await server.close().catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return env
}
