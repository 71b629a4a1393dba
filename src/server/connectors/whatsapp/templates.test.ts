import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fillTemplate } from '../../../shared/inbox-settings'
import { loadConfig, publicInboxes } from '../../config'

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-templates-'))
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

const connector = { type: 'whatsapp-cloud', phoneNumberId: '1', accessToken: 'token', appSecret: 'secret', verifyToken: 'verify' }
const load = (inboxes: unknown[]) => {
  const file = path.join(dir, 'config.json')
  fs.writeFileSync(file, JSON.stringify({ inboxes }))
  return loadConfig({}, file)
}

describe('approved WhatsApp templates in the inbox configuration', () => {
  it('reads them and hands clients everything but the connector settings', () => {
    const template = { name: 'order_update', language: 'en_US', parameterCount: 2, body: 'Hi {{1}}, order {{2}} shipped.' }
    const config = load([
      { name: 'wa-main', channel: 'whatsapp', connector, templates: [template] },
      { name: 'SMS', channel: 'sms', connector: { type: 'twilio-sms' } },
    ])
    expect(publicInboxes(config)).toEqual([
      { name: 'wa-main', channel: 'whatsapp', templates: [template] },
      { name: 'SMS', channel: 'sms', templates: [] },
    ])
    expect(JSON.stringify(publicInboxes(config))).not.toContain('secret')
  })

  it('refuses a body whose placeholders disagree with the parameter count', () => {
    const bad = { name: 'order_update', language: 'en_US', parameterCount: 2, body: 'Order {{1}} shipped.' }
    expect(() => load([{ name: 'wa', channel: 'whatsapp', connector, templates: [bad] }])).toThrow(
      /declares 2 parameter\(s\), so its body must use exactly \{\{1\}\}…\{\{2\}\}; it uses \{\{1\}\}/,
    )
    const gap = { ...bad, body: 'Order {{1}} {{3}}' }
    expect(() => load([{ name: 'wa', channel: 'whatsapp', connector, templates: [gap] }])).toThrow(/it uses \{\{1\}\}, \{\{3\}\}/)
  })

  it('refuses templates on an inbox that is not WhatsApp, and the same template twice', () => {
    const t = { name: 'hello', language: 'en', parameterCount: 0, body: 'Hello!' }
    expect(() => load([{ name: 'SMS', channel: 'sms', connector: { type: 'twilio-sms' }, templates: [t] }])).toThrow(/only WhatsApp inboxes have approved templates/)
    expect(() => load([{ name: 'wa', channel: 'whatsapp', connector, templates: [t, t] }])).toThrow(/template hello \(en\) is listed twice/)
  })

  it('fills the preview with what is typed so far', () => {
    expect(fillTemplate('Hi {{1}}, order {{2}} shipped. Thanks, {{1}}!', ['Maya', ''])).toBe('Hi Maya, order {{2}} shipped. Thanks, Maya!')
    expect(fillTemplate('Hi {{1}}', [])).toBe('Hi {{1}}')
  })
})
