import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CustomerPanelPage } from './pages/customer-panel-page'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/**
 * Details of the workspace a new agent trips over: customers found by search show their name
 * and addresses as people write them; a pasted essay searches instead of failing; call notes,
 * @mentions and WhatsApp template fields behave; a merge says so once, asks before it is
 * undone, and leaves conversations and statuses that can be told apart.
 */

const HOUR = 3_600_000
const ZOE_PHONE = '+14086021953'
const ZOE_EMAIL = 'zoe.ebert23@outlook.com'
let env: E2eEnvironment
let workspace: WorkspacePage
let panel: CustomerPanelPage

beforeAll(async () => {
  env = await startEnvironment({
    server: {
      inboxes: [
        { name: 'SMS', channel: 'sms', connector: { type: 'sandbox' } },
        { name: 'website', channel: 'chat', connector: { type: 'sandbox' } },
        {
          name: 'wa-main',
          channel: 'whatsapp',
          connector: { type: 'sandbox' },
          templates: [{ name: 'order_update', language: 'en_US', parameterCount: 2, body: 'Hi {{1}}, your order {{2}} is on its way.' }],
        },
      ] as never,
    },
    seed: async (server) => {
      const agent = await server.createUser({ name: 'Alex Morgan', email: 'alex@example.test', role: 'agent', team: 'Support' })
      await server.createUser({ name: 'Priya Shah', email: 'priya@example.test', role: 'agent', team: 'Billing' })
      const now = Date.now()
      await server.ingest({
        channel: 'sms',
        inbox: 'SMS',
        externalId: 'SM-zoe-1',
        from: { kind: 'phone', address: ZOE_PHONE, name: 'Zoe Ebert' },
        alsoKnownAs: [{ kind: 'email', address: ZOE_EMAIL }],
        text: 'Where is my refund for the blender?',
        sentAt: now - 5 * HOUR,
      })
      // The same person again from a work address the app cannot link, in two threads of the same subject.
      for (const thread of [1, 2]) {
        await server.ingest({
          channel: 'email',
          inbox: 'support@example.test',
          externalId: `<zoe-work-${thread}@work.example.test>`,
          threadKey: `zoe-work-${thread}`,
          from: { kind: 'email', address: 'zoe.e@work.example.test', name: 'Zoe E' },
          subject: 'Blender refund',
          text: `Email ${thread}: any news about the blender refund?`,
          sentAt: now - (4 - thread) * HOUR,
        })
      }
      await server.ingest({
        channel: 'whatsapp',
        inbox: 'wa-main',
        externalId: 'wamid.LENA',
        from: { kind: 'whatsapp', address: '+4915112345678', name: 'Lena Vogel' },
        text: 'Where is my order?',
        sentAt: now - 30 * HOUR,
      })
      return agent
    },
  })
  workspace = new WorkspacePage(env.page)
  panel = new CustomerPanelPage(env.page)
  await workspace.open(env.host.url)
}, 240_000)

afterAll(async () => {
  await env?.close()
})

const composer = () => env.page.getByRole('form', { name: 'Composer' })
const editor = (name: string) => composer().getByRole('textbox', { name })

describe('customer merge', () => {
  it('finds the other customer by name with readable addresses, says the merge once, and lets the conversations be told apart', async () => {
    await workspace.openCustomer('Zoe E')
    await panel.root.getByRole('button', { name: 'Merge…' }).first().click()
    const dialog = env.page.getByRole('dialog')
    await dialog.getByRole('searchbox').fill('zoe')
    const match = dialog.getByRole('list', { name: 'Matching customers' }).getByRole('button', { name: /Zoe Ebert/ })
    await match.waitFor()
    const shown = await match.innerText()
    expect(shown).toContain(`${ZOE_EMAIL} · +1 408 602 1953`)
    expect(shown).not.toContain('4086021953')
    await match.click()
    await dialog.getByRole('button', { name: 'Keep Zoe Ebert instead' }).click()
    await expect.poll(() => dialog.getByTestId('merge-preview').innerText()).toContain('Zoe E will be merged into Zoe Ebert')
    await panel.confirmMerge()

    // Once the list names all three conversations hers, the first row is her latest (the one the next test resolves).
    await expect.poll(() => workspace.inboxRow('Zoe Ebert').count(), { timeout: 10_000 }).toBe(3)
    await workspace.openCustomer('Zoe Ebert')
    await workspace.message('Email 1: any news about the blender refund?').waitFor({ timeout: 10_000 })
    await expect.poll(() => workspace.timeline.getByText(/merged Zoe E into Zoe Ebert/).count(), { timeout: 10_000 }).toBe(1)

    const options = await env.page.getByRole('combobox', { name: 'Conversation to act on' }).locator('option').allInnerTexts()
    expect(options).toHaveLength(3)
    expect(new Set(options).size).toBe(3)
  })

  it('shows each conversation’s whole status in the customer panel', async () => {
    await workspace.resolve()
    const pills = panel.root.getByRole('list', { name: 'Past conversations' }).locator('.pill')
    await expect.poll(() => pills.allInnerTexts()).toContain('Resolved')
    for (const pill of await pills.all()) {
      const fits = await pill.evaluate((el) => {
        const box = el.getBoundingClientRect()
        const panelBox = el.closest('aside')!.getBoundingClientRect()
        return el.scrollWidth <= el.clientWidth && box.right <= panelBox.right && box.width > 0
      })
      expect(fits).toBe(true)
    }
  })

  it('asks before undoing a merge', async () => {
    await panel.root.getByTestId('merge-record').getByRole('button', { name: 'Undo merge' }).click()
    const confirm = env.page.getByRole('dialog', { name: 'Undo the merge of Zoe E into Zoe Ebert?' })
    await confirm.getByRole('button', { name: 'Cancel' }).click()
    await confirm.waitFor({ state: 'detached' })
    expect(await panel.mergeRecord().count()).toBe(1)
    await panel.undoMerge()
    await panel.mergeRecord().waitFor({ state: 'detached' })
  })
})

describe('finding customers', () => {
  it('shows a customer in the command palette by name and readable addresses, the name on one line', async () => {
    await workspace.openPalette()
    const palette = env.page.getByRole('dialog', { name: 'Command palette' })
    await env.page.keyboard.type('zoe ebe')
    const option = palette.getByRole('option').filter({ hasText: ZOE_EMAIL })
    // The results follow the typing: those of "zoe" may show before those of "zoe ebe".
    await expect.poll(() => option.locator('mark').allInnerTexts()).toEqual(['Zoe', 'Ebert', 'zoe', 'ebe'])
    const [name, addresses] = (await option.innerText()).split('\n').filter((line) => line.trim() && line.trim().length > 2)
    expect(name).toBe('Zoe Ebert')
    expect(addresses).toBe(`${ZOE_EMAIL} · +1 408 602 1953`)

    await palette.getByLabel('Jump to a customer, conversation or action').fill('6021953')
    await expect.poll(() => palette.getByRole('option').filter({ hasText: 'Zoe Ebert' }).locator('mark').allInnerTexts()).toEqual(['+1 408 602 1953'])
    await env.page.keyboard.press('Escape')
  })

  it('searches a pasted 5,000-character text by its start, in the palette and in the search panel', async () => {
    // Every word of a search must match: the pasted words are ones the message holds.
    const essay = 'blender '.repeat(625)
    expect(essay).toHaveLength(5_000)
    await workspace.openPalette()
    const palette = env.page.getByRole('dialog', { name: 'Command palette' })
    await palette.getByLabel('Jump to a customer, conversation or action').fill(essay)
    await palette.getByRole('option').filter({ hasText: 'blender' }).first().waitFor({ timeout: 10_000 })
    expect(await palette.innerText()).not.toMatch(/Invalid arguments|Too big/)
    await env.page.keyboard.press('Escape')

    await workspace.search(essay)
    await expect.poll(() => workspace.searchHits()).not.toHaveLength(0)
    expect(await env.page.getByRole('alert').count()).toBe(0)
    await workspace.clearSearch()
  })
})

describe('composer', () => {
  it('starts call notes empty and keeps the reply for later', async () => {
    // From a known view: the tests before may have left the inbox on another one.
    await workspace.showView('All conversations')
    await workspace.openCustomer('Zoe Ebert')
    await editor('Reply to the customer').click()
    await env.page.keyboard.type('Your refund was sent today.')
    await env.page.getByRole('tab', { name: 'Log call' }).click()
    expect((await editor('Call notes').innerText()).trim()).toBe('')
    await editor('Call notes').click()
    await env.page.keyboard.type('Called about the refund')
    await composer().getByLabel('Duration').fill('2:00')
    await composer().getByRole('button', { name: 'Log call' }).click()
    await env.page.locator('article').filter({ hasText: 'Called about the refund' }).first().waitFor({ timeout: 10_000 })
    expect((await editor('Call notes').innerText()).trim()).toBe('')

    await env.page.getByRole('tab', { name: /^Reply/ }).click()
    expect(await editor('Reply to the customer').innerText()).toBe('Your refund was sent today.')
  })

  it('offers no channel for a note, opens the mention list at the caret and puts one space after the name', async () => {
    await env.page.getByRole('tab', { name: 'Internal note' }).click()
    expect(await env.page.getByRole('radiogroup', { name: 'Reply channel' }).count()).toBe(0)
    const note = editor('Internal note')
    await note.click()
    await env.page.keyboard.press('Control+End')
    await env.page.keyboard.type(' Please ask ')
    const caret = await note.evaluate((el) => {
      const range = el.ownerDocument.getSelection()!.getRangeAt(0).getBoundingClientRect()
      return { left: range.left, top: range.top, bottom: range.bottom }
    })
    await env.page.keyboard.press('@')
    const picker = env.page.getByRole('dialog', { name: 'Mention an agent' })
    await picker.waitFor()
    const box = (await picker.boundingBox())!
    // Beside the caret: just above it (the composer is at the bottom) and starting at it.
    expect(Math.abs(box.y + box.height - caret.top)).toBeLessThan(20)
    expect(Math.abs(box.x - caret.left)).toBeLessThan(20)
    await env.page.keyboard.type('pri')
    await env.page.keyboard.press('Enter')
    await env.page.keyboard.type('to call back')
    await expect.poll(() => note.innerText()).toBe('Your refund was sent today. Please ask @Priya Shah to call back')
  })

  it('names each WhatsApp template parameter and shows the words around it', async () => {
    await workspace.openCustomer('Lena Vogel')
    const fields = composer().getByRole('group', { name: 'WhatsApp template' })
    await fields.getByLabel('Template').selectOption({ label: 'order_update (en_US)' })
    const first = fields.getByLabel('Parameter 1 ({{1}})')
    await first.waitFor()
    expect(await first.getAttribute('placeholder')).toBe('Hi {{1}}, your order {{2}} is on its way.')
    expect(await fields.getByLabel('Parameter 2 ({{2}})').count()).toBe(1)
  })
})
