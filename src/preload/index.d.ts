import type { ThreadlineApi } from '../shared/ipc'

declare global {
  interface Window {
    /** Provided by the Electron preload; absent in the browser host, where the renderer uses a WebSocket. */
    threadline?: ThreadlineApi
  }
}

export {}
