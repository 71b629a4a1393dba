import { IpcRequest, type IpcErrorCode, type IpcEventMessage, type IpcResponse } from './ipc'
import { messageOf } from './ipc-client'

/**
 * The serving side of the one IPC message protocol, independent of the pipe that carries it
 * (an Electron MessagePort or the browser host's WebSocket): the core process and the
 * browser host share it. The calling side is ipc-client.ts.
 */

const ERROR_CODES: readonly string[] = ['bad_request', 'not_found', 'internal']

export interface IpcServable {
  handle(method: string, args: unknown): Promise<unknown>
  subscribe(listener: (message: IpcEventMessage) => void): () => void
}

function errorCodeOf(err: unknown): IpcErrorCode {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && ERROR_CODES.includes(code) ? (code as IpcErrorCode) : 'internal'
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
