import type { IpcErrorCode } from '../shared/ipc'

/** An error the renderer can show as-is: `code` says whose fault it is, `message` what to do. */
export class IpcError extends Error {
  constructor(
    readonly code: IpcErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'IpcError'
  }
}
