import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'

/**
 * A customer's website embedding the chat widget with the one script tag, and a page model of
 * the widget as a visitor uses it. Playwright's CSS locators pierce the widget's open shadow root.
 */

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]

export interface EmbeddingSite {
  /** e.g. http://127.0.0.1:41235 — the origin the chat inbox must allow. */
  origin: string
  /** Where the script tag points; set once the sync server runs. */
  setServer(url: string, inbox: string): void
  /** The user the site has signed in, as its backend vouches for them on the script tag; null: nobody. */
  signIn(user: SiteUser | null): void
  close(): Promise<void>
}

/** A signed-in user of the shop, with the signature its backend computed. */
export interface SiteUser {
  userId: string
  email: string
  name?: string
  phone?: string
  signature: string
}

/** A shop's page on its own origin, with the widget's script tag pointing at the sync server. */
export async function serveEmbeddingSite(): Promise<EmbeddingSite> {
  let serverUrl = ''
  let inbox = ''
  let user: SiteUser | null = null
  const attr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;')
  const userAttributes = (): string =>
    user
      ? ` data-user-id="${attr(user.userId)}" data-user-email="${attr(user.email)}" data-user-signature="${attr(user.signature)}"` +
        (user.name ? ` data-user-name="${attr(user.name)}"` : '') +
        (user.phone ? ` data-user-phone="${attr(user.phone)}"` : '')
      : ''
  const site = http.createServer((req, res) => {
    if (req.url !== '/') {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(`<!doctype html>
<html><head><title>Lamps &amp; Co</title>
<style>* { color: red !important; font-size: 40px !important; } button { display: none !important; }</style>
</head><body><h1>Lamps &amp; Co</h1>
<script src="${attr(serverUrl)}/widget.js" data-inbox="${attr(inbox)}"${userAttributes()} async></script>
</body></html>`)
  })
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${(site.address() as AddressInfo).port}`,
    setServer(url, name) {
      serverUrl = url
      inbox = name
    },
    signIn(next) {
      user = next
    },
    close: () =>
      new Promise<void>((resolve) => {
        site.closeAllConnections()
        site.close(() => resolve())
      }),
  }
}

export class ChatWidgetPage {
  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  /** A new visitor: a fresh browser profile (its own localStorage) on the shop's page. */
  static async open(browser: Browser, site: EmbeddingSite): Promise<ChatWidgetPage> {
    const context = await browser.newContext()
    const page = await context.newPage()
    const widget = new ChatWidgetPage(context, page)
    await widget.goto(site.origin)
    return widget
  }

  /** The same visitor in a second tab (same profile, so the same chat); closing either closes both. */
  async newTab(site: EmbeddingSite): Promise<ChatWidgetPage> {
    const tab = new ChatWidgetPage(this.context, await this.context.newPage())
    await tab.goto(site.origin)
    return tab
  }

  async goto(origin: string): Promise<void> {
    await this.page.goto(`${origin}/`)
    await this.launcher.waitFor()
  }

  async reload(): Promise<void> {
    await this.page.reload()
    await this.launcher.waitFor()
  }

  get launcher(): Locator {
    return this.page.locator('#threadline-chat [data-part="launcher"]')
  }
  get panel(): Locator {
    return this.page.locator('#threadline-chat [data-part="panel"]')
  }
  get status(): Locator {
    return this.panel.locator('[data-part="status"]')
  }
  get messages(): Locator {
    return this.panel.locator('li[data-part="message"]')
  }
  get agentTyping(): Locator {
    return this.panel.locator('[data-part="typing"]')
  }
  get prechatForm(): Locator {
    return this.panel.locator('form[data-part="prechat"]')
  }
  get verifyForm(): Locator {
    return this.panel.locator('form[data-part="verify"]')
  }
  get notice(): Locator {
    return this.panel.locator('[data-part="notice"]')
  }
  get offlineForm(): Locator {
    return this.panel.locator('form[data-part="offline"]')
  }
  get input(): Locator {
    return this.panel.locator('[data-part="input"]')
  }

  /** Messages asking for a satisfaction survey: the question, with the ratings row (or its thanks line) under it. */
  get surveyMessages(): Locator {
    return this.messages.filter({ has: this.page.locator('[data-part="survey"]') })
  }
  /** The ratings row under a satisfaction survey's question, then its thanks line. */
  get surveys(): Locator {
    return this.panel.locator('[data-part="survey"]')
  }
  get rateButtons(): Locator {
    return this.surveys.locator('button[data-part="rate"]')
  }
  get surveyThanks(): Locator {
    return this.surveys.locator('[data-part="survey-thanks"]')
  }

  /** Clicks the rating's button (named "Rate 4 of 5 – Good"). */
  async rate(rating: number): Promise<void> {
    await this.rateButtons.and(this.panel.locator(`[data-rating="${rating}"]`)).click()
  }

  async openChat(): Promise<void> {
    await this.launcher.click()
    await this.panel.waitFor()
  }

  async enterCode(code: string): Promise<void> {
    await this.verifyForm.getByLabel('Code').fill(code)
    await this.verifyForm.locator('[data-part="verify-code"]').click()
  }

  /** `consent` names the consent question to tick (the inbox's words). */
  async fillPrechat(contact: { name?: string; email?: string; phone?: string; consent?: string }): Promise<void> {
    if (contact.name) await this.prechatForm.getByLabel('Your name').fill(contact.name)
    if (contact.email) await this.prechatForm.getByLabel('Your email').fill(contact.email)
    if (contact.phone) await this.prechatForm.getByLabel('Your phone').fill(contact.phone)
    if (contact.consent) await this.prechatForm.getByLabel(contact.consent).check()
    await this.prechatForm.locator('[data-part="start"]').click()
    // Where the inbox can mail a code, a typed email is asked to be confirmed first.
    await this.input.or(this.verifyForm).waitFor()
  }

  /** Sends and waits until the server has acknowledged it (the bubble carries the stored id). */
  async send(text: string): Promise<void> {
    await this.input.fill(text)
    await this.input.press('Enter')
    await this.messages.filter({ hasText: text }).and(this.panel.locator('li[data-id]')).waitFor()
  }

  async leaveOfflineMessage(input: { name?: string; email: string; text: string }): Promise<void> {
    if (input.name) await this.offlineForm.getByLabel('Your name').fill(input.name)
    await this.offlineForm.getByLabel('Your email').fill(input.email)
    await this.offlineForm.getByLabel('Your message').fill(input.text)
    await this.offlineForm.locator('[data-part="leave-message"]').click()
    await this.panel.locator('[data-part="offline-sent"]').waitFor()
  }

  async texts(): Promise<string[]> {
    return (await this.messages.locator('[data-part="text"]').allTextContents()).map((t) => t.trim())
  }

  async close(): Promise<void> {
    await this.context.close()
  }
}
