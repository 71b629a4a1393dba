import type { Session } from 'electron'

/**
 * What the app's page may use from the web platform: desktop notifications for new
 * conversations and mentions, nothing else. Camera, microphone, location, screen capture,
 * clipboard reads, devices and the rest stay off, so a script that slipped into the page (an
 * email's HTML, say) cannot reach them, and Electron never grants them silently as it does
 * when a session has no handler.
 */
const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['notifications'])

export function isPermissionAllowed(permission: string): boolean {
  return ALLOWED_PERMISSIONS.has(permission)
}

export type PermissionSession = Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'>

/** Answers every permission request and check on `session` by the policy above. */
export function installPermissionPolicy(session: PermissionSession): void {
  session.setPermissionRequestHandler((_webContents, permission, callback) => callback(isPermissionAllowed(permission)))
  session.setPermissionCheckHandler((_webContents, permission) => isPermissionAllowed(permission))
  // HID, serial and USB devices are asked for through a handler of their own.
  session.setDevicePermissionHandler(() => false)
}
