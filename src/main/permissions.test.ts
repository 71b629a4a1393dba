import { describe, expect, it } from 'vitest'
import { installPermissionPolicy, isPermissionAllowed, type PermissionSession } from './permissions'

// Every permission Electron's request and check handlers can be asked about.
const DENIED = [
  'clipboard-read',
  'clipboard-sanitized-write',
  'deprecated-sync-clipboard-read',
  'display-capture',
  'fileSystem',
  'fullscreen',
  'geolocation',
  'hid',
  'idle-detection',
  'keyboardLock',
  'media',
  'mediaKeySystem',
  'midi',
  'midiSysex',
  'openExternal',
  'pointerLock',
  'serial',
  'speaker-selection',
  'storage-access',
  'top-level-storage-access',
  'unknown',
  'usb',
  'window-management',
]

describe('permission policy', () => {
  it('allows desktop notifications', () => {
    expect(isPermissionAllowed('notifications')).toBe(true)
  })

  it.each(DENIED)('denies %s', (permission) => {
    expect(isPermissionAllowed(permission)).toBe(false)
  })

  it('denies a permission it has never heard of', () => {
    expect(isPermissionAllowed('some-future-permission')).toBe(false)
  })
})

describe('installPermissionPolicy', () => {
  // Electron cannot start here: a session that keeps the handlers it is given stands in for one.
  function installed() {
    const handlers: {
      request?: Parameters<PermissionSession['setPermissionRequestHandler']>[0]
      check?: Parameters<PermissionSession['setPermissionCheckHandler']>[0]
      device?: Parameters<PermissionSession['setDevicePermissionHandler']>[0]
    } = {}
    installPermissionPolicy({
      setPermissionRequestHandler: (handler) => void (handlers.request = handler),
      setPermissionCheckHandler: (handler) => void (handlers.check = handler),
      setDevicePermissionHandler: (handler) => void (handlers.device = handler),
    })
    return handlers
  }

  it('answers requests, checks and device requests by the policy', () => {
    const { request, check, device } = installed()
    const answers: Record<string, boolean> = {}
    for (const permission of ['notifications', 'media', 'geolocation'] as const) {
      request?.(null as never, permission, (granted) => (answers[permission] = granted), {} as never)
    }
    expect(answers).toEqual({ notifications: true, media: false, geolocation: false })
    expect(check?.(null, 'notifications', 'file://', {} as never)).toBe(true)
    expect(check?.(null, 'clipboard-read', 'file://', {} as never)).toBe(false)
    expect(device?.({} as never)).toBe(false)
  })
})
