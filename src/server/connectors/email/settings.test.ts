import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError, ServerConfig } from '../../config'
import { openSqliteStore } from '../../store/sqlite/sqlite-store'
import { createConfiguredConnectors } from '../configured'

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-email-settings-'))
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

const settings = {
  type: 'imap-smtp',
  imap: { host: 'imap.example.com', port: 993, secure: true, user: 'support@example.com', password: 'secret' },
  smtp: { host: 'smtp.example.com', port: 465, secure: true, user: 'support@example.com', password: 'secret' },
  from: { address: 'support@example.com', name: 'Example Support' },
}

const build = (connector: Record<string, unknown>, dbPath = path.join(dir, 'server.sqlite')) =>
  createConfiguredConnectors(ServerConfig.parse({ dbPath, inboxes: [{ name: 'support', channel: 'email', connector }] }))

describe('imap-smtp settings', () => {
  it('builds the connector of an email inbox from its configuration', () => {
    const [connector] = build(settings)
    expect(connector).toMatchObject({ name: 'imap-smtp:support', inbox: 'support', channels: ['email'] })
  })

  it('refuses bad settings with a message naming the inbox and the field', () => {
    const { password: _password, ...imapWithoutPassword } = settings.imap
    expect(() => build({ ...settings, imap: imapWithoutPassword })).toThrow(ConfigError)
    expect(() => build({ ...settings, imap: imapWithoutPassword })).toThrow(/inbox "support" \(imap-smtp\)[\s\S]*imap\.password/)
    expect(() => build({ ...settings, smtp: { ...settings.smtp, password: undefined } })).toThrow(/both user and password, or neither/)
    expect(() => build({ ...settings, from: { address: 'not an address' } })).toThrow(/from\.address/)
    expect(() => build({ ...settings, imap: { ...settings.imap, pasword: 'typo' } })).toThrow(/pasword/)
  })

  it('keeps the IMAP cursor in the server database across restarts', async () => {
    const dbPath = path.join(dir, 'server.sqlite')
    const store = openSqliteStore(dbPath)
    expect(await store.getConnectorState('imap-smtp:support', 'imap:x')).toBeNull()
    await store.write((w) => w.setConnectorState('imap-smtp:support', 'imap:x', { uidValidity: '7', lastUid: 3 }))
    await store.write((w) => w.setConnectorState('imap-smtp:support', 'imap:x', { uidValidity: '7', lastUid: 9 }))
    await store.close()
    const reopened = openSqliteStore(dbPath)
    expect(await reopened.getConnectorState('imap-smtp:support', 'imap:x')).toEqual({ uidValidity: '7', lastUid: 9 })
    expect(await reopened.getConnectorState('imap-smtp:billing', 'imap:x')).toBeNull()
    await reopened.close()
  })
})
