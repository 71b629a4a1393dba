import { IPC_METHODS } from './ipc-methods'
import type { IpcErrorCode, IpcEventMessage, IpcEventName, IpcRequest, IpcResponse, ThreadlineApi } from './ipc'

/**
 * The calling side of the IPC message protocol (the renderer, the preload), independent of
 * the pipe that carries it. It needs no schemas: the core validates every request it serves
 * (ipc-bridge.ts), so this module keeps zod out of the renderer's first chunk.
 */

/** What a call rejects with: the core's error code and message, readable as-is. */
export class IpcCallError extends Error {
  constructor(
    readonly code: IpcErrorCode,
    message: string,
    readonly method: string,
  ) {
    super(message)
    this.name = 'IpcCallError'
  }
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message
  return typeof err === 'string' ? err : 'unknown error'
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
