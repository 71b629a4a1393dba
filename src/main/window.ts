import { join } from 'node:path'
import { BrowserWindow, session, shell } from 'electron'
import { installPermissionPolicy } from './permissions'

/** Same policy as the meta tag in src/renderer/index.html; sent as a header too. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  // https: only so an agent can choose to see one email's remote images; every email frame
  // still blocks them until then (see features/timeline/email-html.ts).
  "img-src 'self' data: https:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** The window's session: the policy header on every response, and no permission beyond notifications. */
export function secureDefaultSession(): void {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    })
  })
  installPermissionPolicy(session.defaultSession)
}

function openExternally(url: string): void {
  try {
    const { protocol } = new URL(url)
    if (protocol === 'http:' || protocol === 'https:') void shell.openExternal(url)
  } catch {
    // Not a URL at all: nothing to open.
  }
}

export interface WindowPaths {
  preload: string
  /** The built index.html, or the dev server URL under `electron-vite dev`. */
  renderer: { file: string } | { url: string }
}

export function createMainWindow(paths: WindowPaths): BrowserWindow {
  const win = new BrowserWindow({
    width: 1320,
    height: 860,
    minWidth: 900,
    minHeight: 560,
    show: false,
    title: 'Threadline',
    backgroundColor: '#f7f7f8',
    autoHideMenuBar: true,
    webPreferences: {
      preload: paths.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: true,
    },
  })

  win.once('ready-to-show', () => win.show())

  // The app is a single page: any navigation is either a link the agent clicked inside a
  // message (open it in the OS browser) or something that must not happen.
  win.webContents.on('will-navigate', (event, url) => {
    event.preventDefault()
    openExternally(url)
  })
  win.webContents.setWindowOpenHandler(({ url }) => {
    openExternally(url)
    return { action: 'deny' }
  })
  win.webContents.on('will-attach-webview', (event) => event.preventDefault())

  if ('url' in paths.renderer) void win.loadURL(paths.renderer.url)
  else void win.loadFile(paths.renderer.file)
  return win
}

export function rendererPaths(mainDir: string): WindowPaths {
  const devUrl = process.env.ELECTRON_RENDERER_URL
  return {
    preload: join(mainDir, '../preload/index.cjs'),
    renderer: devUrl ? { url: devUrl } : { file: join(mainDir, '../renderer/index.html') },
  }
}
