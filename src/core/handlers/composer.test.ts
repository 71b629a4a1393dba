import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CannedResponse, ComposerDraft } from '../../shared/ipc'
import type { Core } from '../core'
import { createCore } from '../index'
import { closedPort, tempDir } from '../testing/fixtures'

let dir: ReturnType<typeof tempDir>
let core: Core
let serverUrl: string
beforeEach(async () => {
  dir = tempDir()
  serverUrl = `http://127.0.0.1:${await closedPort()}`
  core = await createCore({ dataDir: dir.path, serverUrl, token: 't' })
})
afterEach(async () => {
  await core.close()
  dir.remove()
})

const doc = (text: string) => ({ type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] })

describe('composer drafts and canned responses', () => {
  it('keeps one draft per conversation across a restart, and forgets it when cleared', async () => {
    const draft: ComposerDraft = { mode: 'reply', doc: doc('Half a sentence'), channel: 'email' }
    await core.handle('draft.save', { conversationId: 'v1', draft })
    await core.handle('draft.save', { conversationId: 'v2', draft: { mode: 'note', doc: doc('For the team') } })
    await core.close()
    core = await createCore({ dataDir: dir.path, serverUrl, token: 't' })
    expect(await core.handle('draft.get', { conversationId: 'v1' })).toEqual(draft)
    expect(await core.handle('draft.get', { conversationId: 'v2' })).toMatchObject({ mode: 'note' })
    await core.handle('draft.save', { conversationId: 'v1', draft: null })
    expect(await core.handle('draft.get', { conversationId: 'v1' })).toBeNull()
    expect(await core.handle('draft.get', { conversationId: 'never' })).toBeNull()
  })

  it('keeps the email subject, cc and WhatsApp template of a draft across a restart', async () => {
    const email: ComposerDraft = { mode: 'reply', doc: doc('Replacement on its way'), channel: 'email', subject: 'Replacement shade', cc: 'warehouse@shop.test, half-typ' }
    const whatsapp: ComposerDraft = { mode: 'reply', doc: doc(''), channel: 'whatsapp', template: { name: 'order_update', language: 'en_US', parameters: ['Maya', ''] } }
    await core.handle('draft.save', { conversationId: 'v1', draft: email })
    await core.handle('draft.save', { conversationId: 'v2', draft: whatsapp })
    await core.close()
    core = await createCore({ dataDir: dir.path, serverUrl, token: 't' })
    expect(await core.handle('draft.get', { conversationId: 'v1' })).toEqual(email)
    expect(await core.handle('draft.get', { conversationId: 'v2' })).toEqual(whatsapp)
  })

  it('refuses a draft in an unknown mode with a readable error', async () => {
    await expect(core.handle('draft.save', { conversationId: 'v1', draft: { mode: 'shout', doc: {} } })).rejects.toThrow(/Invalid arguments for draft.save/)
  })

  it('lists the seeded canned responses with their variables', async () => {
    const canned = (await core.handle('canned.list', {})) as CannedResponse[]
    expect(canned.map((c) => c.shortcut).sort()).toEqual(['followup', 'hi', 'looking', 'thanks'])
    expect(canned.find((c) => c.shortcut === 'followup')?.body).toContain('{{conversation.subject}}')
  })

  it('refuses to fetch anything but an attachment of the server', async () => {
    await expect(core.handle('attachment.download', { url: 'https://evil.test/x' })).rejects.toThrow(/not an attachment url of this server/)
    await expect(core.handle('attachment.download', { url: `/api/v1/attachments/${'a'.repeat(64)}` })).rejects.toThrow(/Could not reach the server/)
  })
})
