import type { IpcRequest, ThreadlineApi } from '../../../shared/ipc'
import { createIpcClient } from '../../../shared/ipc-client'

export type HostLinkState = 'connecting' | 'open' | 'closed' | 'refused'

export interface HostLink {
  api: ThreadlineApi
  state(): HostLinkState
  onState(listener: (state: HostLinkState) => void): () => void
}

/**
 * The browser host's pipe: the same IPC protocol as Electron's MessagePort, over a loopback
 * WebSocket. Reconnects with capped backoff; calls made while it is down wait and go out
 * on reconnect, calls in flight when it drops are rejected (their answer is lost).
 */
export function connectToHost(socketUrl: string): HostLink {
  let socket: WebSocket | null = null
  let state: HostLinkState = 'connecting'
  let attempt = 0
  const waiting: IpcRequest[] = []
  const stateListeners = new Set<(state: HostLinkState) => void>()

  const client = createIpcClient((request) => {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(request))
    else waiting.push(request)
  })

  function setState(next: HostLinkState): void {
    if (next === state) return
    state = next
    for (const listener of stateListeners) listener(next)
  }

  function open(): void {
    const ws = new WebSocket(socketUrl)
    socket = ws
    let opened = false
    ws.onopen = () => {
      opened = true
      attempt = 0
      setState('open')
      for (const request of waiting.splice(0)) ws.send(JSON.stringify(request))
    }
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string') return
      try {
        client.receive(JSON.parse(event.data))
      } catch {
        // A frame that is not JSON is not ours: ignore it.
      }
    }
    ws.onclose = () => {
      socket = null
      client.failPending('the connection to the Threadline host was lost')
      // A handshake refused before opening means a wrong or expired token: retrying cannot help
      // after a few tries, but a restarting host also refuses briefly, so give it a few.
      if (!opened && attempt >= 5) {
        setState('refused')
        return
      }
      setState('closed')
      const delay = Math.min(10_000, 500 * 2 ** attempt) * (0.75 + Math.random() * 0.5)
      attempt++
      setTimeout(open, delay)
    }
  }

  open()
  return {
    api: client.api,
    state: () => state,
    onState(listener) {
      stateListeners.add(listener)
      return () => stateListeners.delete(listener)
    },
  }
}
