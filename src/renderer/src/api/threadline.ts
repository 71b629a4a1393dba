import type { ThreadlineApi } from '../../../shared/ipc'
import { connectToHost, type HostLink } from './websocket-api'

const TOKEN_KEY = 'threadline.hostToken'

/**
 * Takes the host's access token from the URL fragment (where `npm start` / `npm run host`
 * put it), keeps it for this tab only, and clears it from the address bar so it is not
 * bookmarked or shared by accident.
 */
function takeHostToken(): string | null {
  const params = new URLSearchParams(window.location.hash.replace(/^#/, ''))
  const fromFragment = params.get('token')
  if (fromFragment) {
    sessionStorage.setItem(TOKEN_KEY, fromFragment)
    history.replaceState(null, '', window.location.pathname + window.location.search)
    return fromFragment
  }
  return sessionStorage.getItem(TOKEN_KEY)
}

export type Connection =
  | { kind: 'electron'; api: ThreadlineApi }
  | { kind: 'host'; api: ThreadlineApi; link: HostLink }
  | { kind: 'missing-token' }

/** The preload's object inside Electron; otherwise the browser host's WebSocket. */
export function connect(): Connection {
  if (window.threadline) return { kind: 'electron', api: window.threadline }
  const token = takeHostToken()
  if (!token) return { kind: 'missing-token' }
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws'
  const link = connectToHost(`${scheme}://${window.location.host}/ipc?token=${encodeURIComponent(token)}`)
  return { kind: 'host', api: link.api, link }
}
