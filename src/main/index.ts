import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { app, BrowserWindow, dialog, ipcMain, safeStorage } from 'electron'
import { loadCacheKey } from './cache-key'
import { CoreProcess, coreModulePath } from './core-process'
import { loadConnectionSettings } from './settings'
import { createMainWindow, rendererPaths, secureDefaultSession } from './window'

const mainDir = dirname(fileURLToPath(import.meta.url))
let core: CoreProcess | null = null
let quitting = false
let recentCrashes: number[] = []

// A second instance would open the same cache file with a second writer.
const isFirstInstance = app.requestSingleInstanceLock()
if (!isFirstInstance) app.quit()

app.on('second-instance', () => {
  const [win] = BrowserWindow.getAllWindows()
  if (win) {
    if (win.isMinimized()) win.restore()
    win.focus()
  }
})

function startCore(): CoreProcess | null {
  const settings = loadConnectionSettings()
  if ('error' in settings) {
    dialog.showErrorBox('Threadline cannot start', settings.error)
    app.quit()
    return null
  }
  let cacheKey: Buffer
  try {
    cacheKey = loadCacheKey(app.getPath('userData'), safeStorage)
  } catch (err) {
    dialog.showErrorBox('Threadline cannot start', `The key of this device's cache could not be read or made: ${(err as Error).message}`)
    app.quit()
    return null
  }
  const proc = new CoreProcess({
    ...settings,
    cacheKey,
    modulePath: coreModulePath(mainDir),
    dataDir: process.env.THREADLINE_DATA_DIR || join(app.getPath('userData'), 'data'),
    onExit(reason, fatal) {
      if (quitting) return
      const now = Date.now()
      recentCrashes = recentCrashes.filter((at) => now - at < 60_000).concat(now)
      if (fatal || recentCrashes.length > 3) {
        dialog.showErrorBox('Threadline stopped', fatal ?? `${reason}, repeatedly. See the log for details.`)
        app.quit()
        return
      }
      console.error(`[main] ${reason}; restarting it`)
      // Renderers hold ports into the dead process: restart it and reload them so each
      // preload asks for a fresh port.
      setTimeout(() => {
        proc.start()
        for (const win of BrowserWindow.getAllWindows()) win.webContents.reload()
      }, 1_000)
    },
  })
  proc.start()
  return proc
}

void app.whenReady().then(() => {
  if (!isFirstInstance) return
  secureDefaultSession()
  core = startCore()
  if (!core) return
  const paths = rendererPaths(mainDir)
  const pageUrl = 'file' in paths.renderer ? pathToFileURL(paths.renderer.file).href : null

  // Only our own page may ask for a port to the core.
  ipcMain.on('threadline:connect', (event) => {
    const frame = event.senderFrame
    if (!frame || !core) return
    const url = frame.url.split('#')[0] ?? ''
    const ours = 'url' in paths.renderer ? url.startsWith(paths.renderer.url) : url === pageUrl
    if (!ours) {
      console.warn(`[main] refused a core port to ${url}`)
      return
    }
    core.connect(frame)
  })

  createMainWindow(paths)
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createMainWindow(paths)
  })
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})

app.on('before-quit', (event) => {
  if (quitting || !core) return
  quitting = true
  event.preventDefault()
  const proc = core
  core = null
  void proc.stop().finally(() => app.quit())
})
