import type { Locator, Page } from 'playwright-core'

/** The sign-in screen, and the account menu that leads back to it. */
export class SignInPage {
  readonly form: Locator
  readonly serverUrl: Locator
  readonly email: Locator
  readonly password: Locator
  readonly submit: Locator
  readonly error: Locator

  constructor(readonly page: Page) {
    this.form = page.getByRole('form', { name: 'Sign in to Threadline' })
    this.serverUrl = this.form.getByLabel('Server address')
    this.email = this.form.getByLabel('Email')
    this.password = this.form.getByLabel('Password')
    this.submit = this.form.getByRole('button', { name: 'Sign in' })
    this.error = this.form.getByRole('alert')
  }

  async signIn(credentials: { serverUrl?: string; email?: string; password: string }): Promise<void> {
    if (credentials.serverUrl !== undefined) await this.serverUrl.fill(credentials.serverUrl)
    if (credentials.email !== undefined) await this.email.fill(credentials.email)
    await this.password.fill(credentials.password)
    await this.submit.click()
  }

  /** Signs out through the account menu in the sidebar. */
  async signOutFromAccountMenu(name: string): Promise<void> {
    await this.page.getByRole('button', { name: `Account: ${name}` }).click()
    await this.page.getByRole('menuitem', { name: 'Sign out' }).click()
  }
}
