import { join } from 'node:path'
import { app, MessageChannelMain, utilityProcess, type UtilityProcess, type WebFrameMain } from 'electron'
import type { ConnectionSettings } from './settings'

/** Messages between the main process and the core's utility process (src/core/process.ts). */
export type CoreControlMessage = { type: 'cache-key'; key: string } | { type: 'connect' } | { type: 'shutdown' }
export type CoreStatusMessage = { type: 'ready' } | { type: 'fatal'; message: string }

export interface CoreProcessOptions extends ConnectionSettings {
  /** Built entry of src/core/process.ts. */
  modulePath: string
  dataDir: string
  /** Key of the encrypted cache; handed to the core over its parent port, never through a renderer or the environment. */
  cacheKey: Buffer
  /**
   * Called when the core stops on its own. `fatal` is the core's own explanation when it
   * could not start (restarting will not help); absent for a crash.
   */
  onExit(reason: string, fatal: string | null): void
}

/**
 * Runs the client core (SQLite cache + sync engine) in a utility process so that
 * better-sqlite3's synchronous work never blocks Electron's main thread, and hands each
 * renderer its own MessagePort straight to that process: no request passes through main.
 */
export class CoreProcess {
  private child: UtilityProcess | null = null
  private stopping = false

  constructor(private readonly options: CoreProcessOptions) {}

  start(): void {
    const { modulePath, dataDir, serverUrl, token } = this.options
    const env: Record<string, string> = {}
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value
    env.THREADLINE_DATA_DIR = dataDir
    // Where a customer's export is saved: the OS's Downloads folder, which only Electron knows on every platform.
    env.THREADLINE_DOWNLOADS_DIR ||= app.getPath('downloads')
    delete env.THREADLINE_SERVER_URL
    delete env.THREADLINE_TOKEN
    if (serverUrl) env.THREADLINE_SERVER_URL = serverUrl
    if (token) env.THREADLINE_TOKEN = token
    const child = utilityProcess.fork(modulePath, [], { serviceName: 'Threadline core', env, stdio: 'inherit' })
    this.child = child
    // The child's parent port queues this until the core listens; it waits for the key before opening the cache.
    child.postMessage({ type: 'cache-key', key: this.options.cacheKey.toString('hex') } satisfies CoreControlMessage)
    let fatal: string | null = null
    child.on('message', (message: CoreStatusMessage) => {
      if (message?.type !== 'fatal') return
      fatal = message.message
      console.error(`[core] ${message.message}`)
    })
    child.on('exit', (code) => {
      if (this.child === child) this.child = null
      if (!this.stopping) this.options.onExit(`the core process exited with code ${code}`, fatal)
    })
  }

  /** Gives a renderer frame a fresh port to the core. */
  connect(frame: WebFrameMain): void {
    if (!this.child) throw new Error('the core process is not running')
    const { port1, port2 } = new MessageChannelMain()
    this.child.postMessage({ type: 'connect' } satisfies CoreControlMessage, [port1])
    frame.postMessage('threadline:port', null, [port2])
  }

  /** Lets the core close its cache cleanly; kills it if it does not exit in time. */
  async stop(timeoutMs = 3_000): Promise<void> {
    const child = this.child
    this.stopping = true
    if (!child) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill()
        resolve()
      }, timeoutMs)
      child.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
      child.postMessage({ type: 'shutdown' } satisfies CoreControlMessage)
    })
    this.child = null
  }
}

export function coreModulePath(mainDir: string): string {
  return join(mainDir, 'core.js')
}
