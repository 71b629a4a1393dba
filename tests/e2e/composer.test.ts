import { simpleParser } from 'mailparser'
import MailComposer from 'nodemailer/lib/mail-composer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeProvider, type FakeProvider } from '../integration/support/fake-provider'
import { emailConnector, startDovecot, startSmtpCapture, type DovecotServer, type SmtpCapture } from '../integration/support/mail-servers'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/**
 * The composer in a real browser: a reply on email goes out through the imap-smtp inbox to
 * a real SMTP server, threaded to the customer's mail; channels the customer cannot be
 * reached on say why; drafts survive switching conversations; canned responses and
 * @mentions insert from the keyboard. Outside WhatsApp's 24-hour window the composer offers
 * only the inbox's approved templates, previewed as the customer will read them, and the
 * template goes out through the Cloud API connector to a real HTTP peer.
 */

const SUPPORT = 'support@threadline.test'
const MAYA = 'maya.lindqvist@customers.test'
const ORIGINAL_ID = '<order-4411@customers.test>'
const WA_PHONE_ID = '106540352242922'
const LENA = '+4915112345678'
let dovecot: DovecotServer
let smtp: SmtpCapture
let graph: FakeProvider
let env: E2eEnvironment
let workspace: WorkspacePage

beforeAll(async () => {
  dovecot = await startDovecot({ user: SUPPORT, password: 'imap-secret' })
  smtp = await startSmtpCapture()
  let wamid = 0
  graph = await startFakeProvider((r) =>
    r.method === 'POST' && r.path === `/v21.0/${WA_PHONE_ID}/messages` ? { status: 200, body: { messaging_product: 'whatsapp', messages: [{ id: `wamid.OUT${++wamid}` }] } } : null,
  )
  const whatsapp = (phoneNumberId: string) => ({ type: 'whatsapp-cloud', phoneNumberId, accessToken: 'graph-token', appSecret: 'app-secret', verifyToken: 'verify', graphApiBaseUrl: graph.url })
  env = await startEnvironment({
    server: {
      inboxes: [
        {
          name: 'support',
          channel: 'email',
          connector: { ...emailConnector(dovecot, smtp, 'Threadline Support'), reconnect: { initialDelayMs: 50, maxDelayMs: 500 } },
        },
        {
          name: 'wa-main',
          channel: 'whatsapp',
          connector: whatsapp(WA_PHONE_ID),
          templates: [
            { name: 'order_update', language: 'en_US', parameterCount: 2, body: 'Hi {{1}}, your order {{2}} is on its way.' },
            { name: 'follow_up', language: 'en_US', parameterCount: 0, body: 'Is there anything else we can help you with?' },
          ],
        },
        { name: 'wa-partners', channel: 'whatsapp', connector: whatsapp('2') },
      ] as never,
    },
    seed: async (server) => {
      const agent = await server.createUser({ name: 'Alex Morgan', email: 'alex@example.test', role: 'agent', team: 'Support' })
      await server.createUser({ name: 'Priya Shah', email: 'priya@example.test', role: 'agent', team: 'Billing' })
      await server.ingest({
        channel: 'email',
        inbox: 'support@example.test',
        externalId: '<invoice-77@customers.test>',
        from: { kind: 'email', address: 'jonas.berg@customers.test', name: 'Jonas Berg' },
        subject: 'Invoice question',
        text: 'Could you resend the invoice for March?',
        sentAt: Date.now() - 3_600_000,
      })
      // Both wrote on WhatsApp more than 24 hours ago: only approved templates may answer them.
      const longAgo = Date.now() - 30 * 3_600_000
      await server.ingest({ channel: 'whatsapp', inbox: 'wa-main', externalId: 'wamid.IN1', from: { kind: 'whatsapp', address: LENA, name: 'Lena Vogel' }, text: 'Where is my order?', sentAt: longAgo })
      await server.ingest({ channel: 'whatsapp', inbox: 'wa-partners', externalId: 'wamid.IN2', from: { kind: 'whatsapp', address: '+4915199887766', name: 'Omar Haddad' }, text: 'Thanks!', sentAt: longAgo - 60_000 })
      return agent
    },
  })
  // Maya writes in through the real mailbox, so the reply has a real message to answer.
  const mail = await new MailComposer({
    from: `Maya Lindqvist <${MAYA}>`,
    to: SUPPORT,
    subject: 'Order 4411 arrived damaged',
    messageId: ORIGINAL_ID,
    text: 'Hello, the lamp in order 4411 arrived with a cracked shade.',
  })
    .compile()
    .build()
  dovecot.deliver(mail)
  workspace = new WorkspacePage(env.page)
  await workspace.open(env.host.url)
  await workspace.inboxRow('Maya Lindqvist').first().waitFor({ timeout: 60_000 })
  await workspace.openCustomer('Maya Lindqvist')
}, 240_000)

afterAll(async () => {
  await env?.close()
  await graph?.close()
  await smtp?.close()
  await dovecot?.cleanup()
})

const editor = (name: 'Reply to the customer' | 'Internal note' | 'Call notes') => env.page.getByRole('textbox', { name })

describe('composer', () => {
  it('shows why a channel cannot be used', async () => {
    const channels = env.page.getByRole('radiogroup', { name: 'Reply channel' })
    const sms = channels.locator('label[data-channel="sms"]')
    await expect.poll(() => sms.innerText()).toContain('No phone number on file')
    expect(await sms.getByRole('radio').isDisabled()).toBe(true)
    // Email is where she wrote, so it is the default.
    expect(await channels.locator('label[data-channel="email"]').getByRole('radio').isChecked()).toBe(true)
  })

  it('inserts a canned response with "/" and fills its variables', async () => {
    await editor('Reply to the customer').click()
    await env.page.keyboard.press('/')
    const picker = env.page.getByRole('dialog', { name: 'Canned responses' })
    await picker.waitFor()
    await env.page.keyboard.type('looking')
    await env.page.keyboard.press('Enter')
    await picker.waitFor({ state: 'detached' })
    await expect.poll(() => editor('Reply to the customer').innerText()).toContain("Hi Maya Lindqvist, I'm looking into this now")
    expect(await editor('Reply to the customer').innerText()).toContain('Alex Morgan')
  })

  it('will not send a reply that still holds a placeholder, and names it', async () => {
    const send = env.page.getByRole('form', { name: 'Composer' }).getByRole('button', { name: 'Send' })
    const placeholder = ' {{order.id}}'
    await editor('Reply to the customer').click()
    await env.page.keyboard.press('Control+End')
    await env.page.keyboard.type(placeholder)
    const warning = env.page.getByTestId('unfilled-placeholders')
    await warning.waitFor()
    expect(await warning.innerText()).toContain('Replace {{order.id}} before sending')
    expect(await send.isDisabled()).toBe(true)
    for (let i = 0; i < placeholder.length; i++) await env.page.keyboard.press('Backspace')
    await warning.waitFor({ state: 'detached' })
    expect(await send.isDisabled()).toBe(false)
  })

  it('keeps a draft per conversation and restores it after switching', async () => {
    await workspace.openCustomer('Jonas Berg')
    await workspace.openCustomer('Maya Lindqvist')
    await expect.poll(() => editor('Reply to the customer').innerText(), { timeout: 10_000 }).toContain("I'm looking into this now")
    // Jonas's composer starts empty: drafts do not leak between conversations.
    await workspace.openCustomer('Jonas Berg')
    await expect.poll(async () => (await editor('Reply to the customer').innerText()).trim()).toBe('')
    await workspace.openCustomer('Maya Lindqvist')
    await expect.poll(() => editor('Reply to the customer').innerText(), { timeout: 10_000 }).toContain("I'm looking into this now")
  })

  it('sends the email reply through SMTP, threaded to her message', async () => {
    await env.page.getByRole('button', { name: 'Send', exact: true }).click()
    await expect.poll(() => smtp.received.length, { timeout: 30_000 }).toBe(1)
    const envelope = smtp.received[0]!
    expect(envelope.to).toEqual([MAYA])
    const mail = await simpleParser(envelope.raw)
    expect(mail.inReplyTo).toBe(ORIGINAL_ID)
    expect(mail.subject).toBe('Re: Order 4411 arrived damaged')
    expect(mail.text).toContain("I'm looking into this now")
    // Sent: the composer is empty again and the draft is gone.
    await expect.poll(async () => (await editor('Reply to the customer').innerText()).trim()).toBe('')
    await workspace.openCustomer('Jonas Berg')
    await workspace.openCustomer('Maya Lindqvist')
    await env.page.waitForTimeout(500)
    expect((await editor('Reply to the customer').innerText()).trim()).toBe('')
  })

  it('sends email under the subject and with the cc the agent chose, quoting her last message', async () => {
    const composer = env.page.getByRole('form', { name: 'Composer' })
    await env.page.getByRole('tab', { name: /Reply/ }).click()
    const subject = composer.getByLabel('Subject')
    expect(await subject.inputValue()).toBe('Re: Order 4411 arrived damaged')
    await subject.fill('Replacement shade for order 4411')
    await composer.getByLabel('Cc').fill('not-an-address')
    await expect.poll(() => composer.getByRole('alert').innerText()).toContain('is not an email address')
    await composer.getByLabel('Cc').fill('warehouse@threadline.test')
    await editor('Reply to the customer').click()
    await env.page.keyboard.type('A replacement shade is on its way.')
    // Away and back: the draft keeps the subject and cc with the text.
    await workspace.openCustomer('Jonas Berg')
    expect(await composer.getByLabel('Subject').inputValue()).toBe('Re: Invoice question')
    expect(await composer.getByLabel('Cc').inputValue()).toBe('')
    await workspace.openCustomer('Maya Lindqvist')
    await expect.poll(() => composer.getByLabel('Subject').inputValue(), { timeout: 10_000 }).toBe('Replacement shade for order 4411')
    expect(await composer.getByLabel('Cc').inputValue()).toBe('warehouse@threadline.test')
    expect(await editor('Reply to the customer').innerText()).toContain('A replacement shade is on its way.')
    await env.page.getByRole('button', { name: 'Send', exact: true }).click()
    await expect.poll(() => smtp.received.length, { timeout: 30_000 }).toBe(2)
    const envelope = smtp.received[1]!
    expect([...envelope.to].sort()).toEqual([MAYA, 'warehouse@threadline.test'])
    const mail = await simpleParser(envelope.raw)
    expect(mail.subject).toBe('Replacement shade for order 4411')
    expect(mail.text).toMatch(/A replacement shade is on its way\.\s+On .+, Maya Lindqvist wrote:\n> Hello, the lamp in order 4411 arrived with a cracked shade\./)
    // The timeline shows only what the agent wrote.
    const texts = await workspace.timelineTexts()
    const ours = texts.find((t) => t.includes('A replacement shade is on its way.'))
    expect(ours).toBeDefined()
    expect(ours).not.toContain('wrote:')
  })

  it('logs a call into the conversation on screen, shown in the timeline at once', async () => {
    const composer = env.page.getByRole('form', { name: 'Composer' })
    await env.page.getByRole('tab', { name: 'Log call' }).click()
    await composer.getByLabel('Outcome').selectOption('voicemail')
    await composer.getByLabel('Duration').fill('1:30')
    await editor('Call notes').click()
    await env.page.keyboard.type('Left a voicemail about the replacement')
    await composer.getByRole('button', { name: 'Log call' }).click()
    const call = env.page.locator('article.call-voicemail')
    await call.first().waitFor({ timeout: 10_000 })
    expect(await call.first().innerText()).toContain('Left a voicemail about the replacement')
    expect(await call.first().innerText()).toContain('1m 30s')
  })

  it('mentions an agent in an internal note, which offers no channel', async () => {
    await env.page.getByRole('tab', { name: 'Internal note' }).click()
    await editor('Internal note').click()
    expect(await env.page.getByRole('radiogroup', { name: 'Reply channel' }).count()).toBe(0)
    await env.page.keyboard.type('Please check the refund ')
    await env.page.keyboard.press('@')
    const picker = env.page.getByRole('dialog', { name: 'Mention an agent' })
    await picker.waitFor()
    await env.page.keyboard.type('pri')
    await env.page.keyboard.press('Enter')
    await expect.poll(() => editor('Internal note').innerText()).toContain('Please check the refund @Priya Shah')
  })

  it('outside the 24-hour window offers the approved templates with a live preview, keeps the choice as a draft, and sends it', async () => {
    await workspace.openCustomer('Lena Vogel')
    const composer = env.page.getByRole('form', { name: 'Composer' })
    const fields = composer.getByRole('group', { name: 'WhatsApp template' })
    const send = composer.getByRole('button', { name: 'Send', exact: true })
    const picker = fields.getByLabel('Template')
    await picker.waitFor({ timeout: 10_000 })
    expect(await picker.locator('option').allInnerTexts()).toEqual(['Choose an approved template…', 'order_update (en_US)', 'follow_up (en_US)'])
    expect(await send.isDisabled()).toBe(true)

    await picker.selectOption({ label: 'order_update (en_US)' })
    const preview = fields.getByLabel('Template preview')
    expect(await preview.innerText()).toBe('Hi {{1}}, your order {{2}} is on its way.')
    await fields.getByLabel('Parameter 1').fill('Lena')
    await expect.poll(() => preview.innerText()).toBe('Hi Lena, your order {{2}} is on its way.')
    // Every parameter the template takes must be filled.
    expect(await send.isDisabled()).toBe(true)
    await fields.getByLabel('Parameter 2').fill('A-1042')
    await expect.poll(() => preview.innerText()).toBe('Hi Lena, your order A-1042 is on its way.')
    expect(await send.isEnabled()).toBe(true)

    await workspace.openCustomer('Maya Lindqvist')
    await workspace.openCustomer('Lena Vogel')
    await expect.poll(() => fields.getByLabel('Template preview').innerText(), { timeout: 10_000 }).toBe('Hi Lena, your order A-1042 is on its way.')
    expect(await fields.getByLabel('Parameter 2').inputValue()).toBe('A-1042')

    await send.click()
    await expect.poll(() => graph.requests.length, { timeout: 30_000 }).toBe(1)
    expect(JSON.parse(graph.requests[0]!.body)).toMatchObject({
      to: LENA.slice(1),
      type: 'template',
      template: { name: 'order_update', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Lena' }, { type: 'text', text: 'A-1042' }] }] },
    })
    // The timeline shows what Lena reads; the composer starts over.
    await expect.poll(() => workspace.timelineTexts(), { timeout: 10_000 }).toContainEqual(expect.stringContaining('Hi Lena, your order A-1042 is on its way.'))
    expect(await fields.getByLabel('Template').inputValue()).toBe('')
  })

  it('says so when the inbox has no approved templates, instead of a free-text field', async () => {
    await workspace.openCustomer('Omar Haddad')
    const composer = env.page.getByRole('form', { name: 'Composer' })
    const fields = composer.getByRole('group', { name: 'WhatsApp template' })
    await expect.poll(() => fields.innerText(), { timeout: 10_000 }).toContain('No approved templates for this inbox')
    expect(await fields.locator('input, select, textarea').count()).toBe(0)
    expect(await composer.getByRole('button', { name: 'Send', exact: true }).isDisabled()).toBe(true)
  })
})
