import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import type { IpcRequest, ThreadlineApi } from '../shared/ipc'
import { createIpcClient } from '../shared/ipc-client'

/**
 * Exposes exactly one object, `window.threadline`: typed calls to the core and event
 * subscriptions, carried over a MessagePort straight to the core's utility process.
 * Calls made before the port arrives wait in order.
 */
type CorePort = IpcRendererEvent['ports'][number]

let port: CorePort | null = null
const waiting: IpcRequest[] = []

const client = createIpcClient((request) => {
  if (port) port.postMessage(request)
  else waiting.push(request)
})

ipcRenderer.on('threadline:port', (event) => {
  const next = event.ports[0]
  if (!next) return
  port?.close()
  port = next
  port.onmessage = (message: { data: unknown }) => client.receive(message.data)
  port.start()
  for (const request of waiting.splice(0)) port.postMessage(request)
})
ipcRenderer.send('threadline:connect')

const api: ThreadlineApi = {
  call: (method, args) => client.api.call(method, args),
  on: (event, listener) => client.api.on(event, listener),
}

contextBridge.exposeInMainWorld('threadline', api)
