import type { IpcEventMessage, IpcResponse } from '../shared/ipc'
import { serveIpc } from '../shared/ipc-bridge'
import type { Core } from './core'
import { createCore } from './index'

/**
 * Entry of the Electron utility process that runs the client core. The main process sends
 * one MessagePort per renderer ('connect') and asks for a clean stop ('shutdown'); the
 * renderers then talk to the core over their ports directly.
 */

type Control = { type: 'cache-key'; key: string } | { type: 'connect' } | { type: 'shutdown' }

/**
 * The shapes of Electron's utility-process ports this file uses, declared here so the core
 * folder stays free of electron imports (it also runs under plain Node).
 */
interface PortMain {
  on(event: 'message', listener: (event: { data: unknown }) => void): void
  on(event: 'close', listener: () => void): void
  postMessage(message: unknown): void
  start(): void
}
interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown; ports: PortMain[] }) => void): void
  postMessage(message: unknown): void
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort
if (!parentPort) {
  console.error('src/core/process.ts runs only as an Electron utility process (use the browser host under Node)')
  process.exit(1)
}
const early: PortMain[] = []
let core: Core | null = null
let receiveCacheKey: (key: Uint8Array) => void = () => {}
const cacheKey = new Promise<Uint8Array>((resolve) => (receiveCacheKey = resolve))

function attach(port: PortMain, target: Core): void {
  const peer = serveIpc(target, (message: IpcResponse | IpcEventMessage) => port.postMessage(message))
  port.on('message', (event) => void peer.receive(event.data))
  port.on('close', () => peer.dispose())
  port.start()
}

parentPort.on('message', (event) => {
  const message = event.data as Control
  if (message?.type === 'cache-key') {
    receiveCacheKey(Buffer.from(message.key, 'hex'))
  } else if (message?.type === 'connect') {
    for (const port of event.ports) {
      if (core) attach(port, core)
      else early.push(port)
    }
  } else if (message?.type === 'shutdown') {
    void (core?.close() ?? Promise.resolve()).finally(() => process.exit(0))
  }
})

function required(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}

try {
  core = await createCore({
    dataDir: required('THREADLINE_DATA_DIR'),
    // Both optional: without a token the core uses its stored sign-in or shows the sign-in screen.
    serverUrl: process.env.THREADLINE_SERVER_URL || undefined,
    token: process.env.THREADLINE_TOKEN || undefined,
    // better-sqlite3 must be built for Electron's ABI here, not Node's (scripts/start.ts builds it).
    nativeBinding: process.env.THREADLINE_NATIVE_BINDING || undefined,
    // The main process sends it first thing, from the OS keychain.
    cacheKey: await cacheKey,
  })
  for (const port of early.splice(0)) attach(port, core)
  parentPort.postMessage({ type: 'ready' })
} catch (err) {
  parentPort.postMessage({ type: 'fatal', message: `the core could not start: ${(err as Error).message}` })
  process.exit(1)
}
