import { fork } from 'node:child_process'

/**
 * Each measured part (client core, browser host, socket.io clients, HTTP load) runs in its
 * own child process, so what one part does cannot stall the event loop another part is
 * timed on. Parent and child talk over Node's IPC channel: calls with replies, and events.
 */

interface CallMessage {
  id: number
  method: string
  args: unknown
}
type ReplyMessage = { id: number; result: unknown } | { id: number; error: string }
interface EventMessage {
  event: string
  payload: unknown
}

export interface ChildHandle {
  readonly pid: number
  call<T>(method: string, args?: unknown, timeoutMs?: number): Promise<T>
  onEvent(listener: (event: string, payload: unknown) => void): () => void
  /** Asks the child to exit (after its `close` handler, if any) and waits for it. */
  stop(): Promise<void>
}

export interface StartChildOptions {
  env?: Record<string, string>
  /** Extra node flags, e.g. --cpu-prof. */
  execArgv?: string[]
}

export function startChild(file: string, options: StartChildOptions = {}): ChildHandle {
  const child = fork(file, [], {
    execArgv: ['--import', 'tsx', ...(options.execArgv ?? [])],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  let nextId = 1
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  const listeners = new Set<(event: string, payload: unknown) => void>()
  let exited = false
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true
      for (const w of waiting.values()) w.reject(new Error(`${file} exited (${signal ?? code}) before answering`))
      waiting.clear()
      resolve()
    })
  })
  child.on('message', (raw) => {
    const message = raw as ReplyMessage | EventMessage
    if ('event' in message) {
      for (const l of listeners) l(message.event, message.payload)
      return
    }
    const w = waiting.get(message.id)
    if (!w) return
    waiting.delete(message.id)
    if ('error' in message) w.reject(new Error(`${file}: ${message.error}`))
    else w.resolve(message.result)
  })
  return {
    pid: child.pid ?? -1,
    call<T>(method: string, args?: unknown, timeoutMs = 600_000): Promise<T> {
      if (exited) return Promise.reject(new Error(`${file} is not running`))
      const id = nextId++
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id)
          reject(new Error(`${file}: ${method} did not answer within ${timeoutMs} ms`))
        }, timeoutMs)
        waiting.set(id, {
          resolve: (v) => {
            clearTimeout(timer)
            resolve(v as T)
          },
          reject: (e) => {
            clearTimeout(timer)
            reject(e)
          },
        })
        child.send({ id, method, args } satisfies CallMessage)
      })
    },
    onEvent(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async stop() {
      if (exited) return
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      try {
        await this.call('exit', undefined, 15_000).catch(() => undefined)
        await exit
      } finally {
        clearTimeout(killer)
      }
    },
  }
}

type Handlers = Record<string, (args: never) => unknown>

/**
 * The child side: answers the parent's calls with `handlers`; `exit` runs `close` and leaves
 * (a normal exit, so --cpu-prof writes its profile).
 */
export function serveParent(handlers: Handlers, close: () => Promise<void> | void = () => {}): { emit(event: string, payload: unknown): void } {
  const send = (message: ReplyMessage | EventMessage): void => {
    if (process.connected) process.send?.(message)
  }
  let closing: Promise<void> | null = null
  const closeOnce = (): Promise<void> => (closing ??= Promise.resolve().then(close))
  process.on('message', (raw) => {
    const { id, method, args } = raw as CallMessage
    void (async () => {
      if (method === 'exit') {
        try {
          await closeOnce()
        } finally {
          send({ id, result: null })
          process.disconnect?.()
          setImmediate(() => process.exit(0))
        }
        return
      }
      const handler = handlers[method]
      if (!handler) return send({ id, error: `unknown method ${method}` })
      try {
        send({ id, result: (await handler(args as never)) ?? null })
      } catch (err) {
        send({ id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) })
      }
    })()
  })
  // The parent going away (Ctrl-C, a crash) must not leave this child running.
  process.on('disconnect', () => {
    void closeOnce().finally(() => process.exit(0))
  })
  return { emit: (event, payload) => send({ event, payload }) }
}
