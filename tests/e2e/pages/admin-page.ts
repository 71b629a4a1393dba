import type { Locator, Page } from 'playwright-core'

/** The administration screen: users with their access and tokens, and integrations. */
export class AdminPage {
  readonly screen: Locator
  readonly users: Locator

  constructor(readonly page: Page) {
    this.screen = page.getByRole('region', { name: 'Administration' })
    this.users = this.screen.getByRole('table', { name: 'Users' })
  }

  /** The account menu's entry, present for admins only. */
  menuItem(accountName: string): { open(): Promise<void>; item: Locator } {
    const item = this.page.getByRole('menuitem', { name: 'Administration' })
    return {
      item,
      open: () => this.page.getByRole('button', { name: `Account: ${accountName}` }).click(),
    }
  }

  row(email: string): Locator {
    return this.users.locator(`tr[data-user="${email}"]`)
  }

  async setInboxes(name: string, inboxes: Record<string, boolean>): Promise<void> {
    await this.screen.getByRole('button', { name: `Edit ${name}` }).click()
    const dialog = this.page.getByRole('dialog', { name: `Edit ${name}` })
    for (const [inbox, on] of Object.entries(inboxes)) await dialog.getByRole('checkbox', { name: inbox }).setChecked(on)
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog.waitFor({ state: 'detached' })
  }

  tokens(name: string): Locator {
    return this.page.getByRole('dialog', { name: `Tokens of ${name}` })
  }

  async openTab(name: string): Promise<void> {
    await this.screen.getByRole('tab', { name }).click()
  }

  /** The Retention tab's rule `n` (from 1): its inbox, channel and days. */
  async setRetentionRule(n: number, rule: { inbox: string; channel: string; days: number }): Promise<void> {
    const section = this.screen.getByRole('region', { name: 'Retention' })
    await section.getByLabel(`Inbox of rule ${n}`).selectOption({ label: rule.inbox })
    await section.getByLabel(`Channel of rule ${n}`).selectOption({ label: rule.channel })
    await section.getByLabel(`Days of rule ${n}`).fill(String(rule.days))
  }
}
