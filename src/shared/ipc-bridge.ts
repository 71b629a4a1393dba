import {
  IPC_METHODS,
  IpcRequest,
  type IpcEventMessage,
  type IpcEventName,
  type IpcResponse,
  type ThreadlineApi,
} from './ipc'

/**
 * Both ends of the one IPC message protocol, independent of the pipe that carries it
 * (an Electron MessagePort or the browser host's WebSocket). Pure TypeScript so the
 * preload, the renderer, the core process and the host all share one implementation.
 */

type ErrorCode = 'bad_request' | 'not_found' | 'internal'
const ERROR_CODES: readonly string[] = ['bad_request', 'not_found', 'internal']

/** What a call rejects with: the core's error code and message, readable as-is. */
export class IpcCallError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly method: string,
  ) {
    super(message)
    this.name = 'IpcCallError'
  }
}

export interface IpcServable {
  handle(method: string, args: unknown): Promise<unknown>
  subscribe(listener: (message: IpcEventMessage) => void): () => void
}

function errorCodeOf(err: unknown): ErrorCode {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && ERROR_CODES.includes(code) ? (code as ErrorCode) : 'internal'
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message
  return typeof err === 'string' ? err : 'unknown error'
}

/**
 * Serves one connected renderer: answers its requests through `core.handle` and forwards
 * the core's pushed events. Call `dispose` when the pipe closes so the core stops
 * pushing into a dead pipe.
 */
export function serveIpc(core: IpcServable, send: (message: IpcResponse | IpcEventMessage) => void) {
  const unsubscribe = core.subscribe((event) => send(event))
  let disposed = false

  async function receive(raw: unknown): Promise<void> {
    const parsed = IpcRequest.safeParse(raw)
    if (!parsed.success) {
      // Without an id there is nobody to answer; a malformed message is dropped, never fatal.
      const id = (raw as { id?: unknown } | null)?.id
      if (typeof id === 'number' && Number.isInteger(id)) {
        send({ id, error: { code: 'bad_request', message: 'a request needs {id, method, args}' } })
      }
      return
    }
    const { id, method, args } = parsed.data
    let response: IpcResponse
    try {
      response = { id, result: await core.handle(method, args ?? {}) }
    } catch (err) {
      const code = errorCodeOf(err)
      if (code === 'internal') console.error(`[ipc] ${method} failed:`, err)
      response = { id, error: { code, message: messageOf(err) } }
    }
    if (!disposed) send(response)
  }

  return {
    receive,
    dispose() {
      disposed = true
      unsubscribe()
    },
  }
}

export interface IpcClient {
  api: ThreadlineApi
  /** Feed every message that arrives from the pipe. */
  receive(message: unknown): void
  /** Rejects every call still waiting, e.g. when the pipe is gone for good. */
  failPending(reason: string): void
}

/**
 * The calling side. `send` may be called before the pipe is ready; the caller queues.
 * Unknown method names are rejected here, before anything crosses the pipe.
 */
export function createIpcClient(send: (request: IpcRequest) => void): IpcClient {
  let nextId = 1
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string }>()
  const listeners = new Map<IpcEventName, Set<(payload: never) => void>>()
  const known = new Set<string>(IPC_METHODS)

  const api: ThreadlineApi = {
    call(method, args) {
      if (typeof method !== 'string' || !known.has(method)) {
        return Promise.reject(new IpcCallError('bad_request', `unknown method: ${String(method)}`, String(method)))
      }
      const id = nextId++
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method })
        try {
          send({ id, method, args: args ?? {} })
        } catch (err) {
          pending.delete(id)
          reject(new IpcCallError('internal', messageOf(err), method))
        }
      })
    },
    on(event, listener) {
      let set = listeners.get(event)
      if (!set) listeners.set(event, (set = new Set()))
      const fn = listener as (payload: never) => void
      set.add(fn)
      return () => {
        set.delete(fn)
      }
    },
  }

  function receive(message: unknown): void {
    if (!message || typeof message !== 'object') return
    const m = message as Partial<IpcResponse> & Partial<IpcEventMessage>
    if (typeof m.event === 'string') {
      for (const listener of listeners.get(m.event as IpcEventName) ?? []) {
        try {
          listener(m.payload as never)
        } catch (err) {
          console.error(`[ipc] listener for ${m.event} threw:`, err)
        }
      }
      return
    }
    if (typeof m.id !== 'number') return
    const waiter = pending.get(m.id)
    if (!waiter) return
    pending.delete(m.id)
    if ('error' in m && m.error) {
      waiter.reject(new IpcCallError(m.error.code, m.error.message, waiter.method))
    } else {
      waiter.resolve((m as { result: unknown }).result)
    }
  }

  function failPending(reason: string): void {
    for (const [id, waiter] of pending) {
      pending.delete(id)
      waiter.reject(new IpcCallError('internal', reason, waiter.method))
    }
  }

  return { api, receive, failPending }
}
