import type { Locator, Page } from 'playwright-core'

/** A total of the Live tab, by the label on its tile. */
export type LiveTotal = 'Open' | 'Unassigned' | 'Waiting now' | 'Pending' | 'Snoozed' | 'SLA at risk' | 'SLA breached'

/** The supervisors' dashboards: the Live tab's totals, tables and wallboard, and the conversations behind a number. */
export class DashboardsPage {
  readonly screen: Locator
  readonly sidebarEntry: Locator
  readonly totals: Locator
  readonly conversations: Locator
  readonly wallboardButton: Locator
  /** Empty while the sync is online; else since when the numbers stand. */
  readonly asOf: Locator

  constructor(readonly page: Page) {
    this.screen = page.getByRole('region', { name: 'Dashboards' })
    this.sidebarEntry = page.getByRole('navigation', { name: 'Inbox views' }).getByRole('button', { name: 'Dashboards' })
    this.totals = this.screen.getByRole('list', { name: 'Totals' })
    this.conversations = page.getByRole('dialog')
    this.wallboardButton = this.screen.getByRole('button', { name: 'Wallboard' })
    this.asOf = this.screen.getByRole('status')
  }

  async open(): Promise<void> {
    await this.sidebarEntry.click()
    await this.totals.waitFor()
  }

  tile(label: LiveTotal): Locator {
    return this.totals.getByRole('button', { name: new RegExp(`^[\\d,]+\\s*${label}\\b`) })
  }

  /** The number on a total's tile. */
  async total(label: LiveTotal): Promise<number> {
    const name = (await this.tile(label).textContent()) ?? ''
    return Number(/^[\d,]+/.exec(name)?.[0].replace(/,/g, '') ?? NaN)
  }

  /** Opens the conversations behind a total; resolves with the dialog listing them. */
  async drill(label: LiveTotal): Promise<Locator> {
    await this.tile(label).click()
    const dialog = this.page.getByRole('dialog', { name: label })
    await dialog.waitFor()
    return dialog
  }

  /** The rows of the list of conversations behind a number, as their cells read. */
  conversationRows(dialog: Locator): Locator {
    return dialog.getByRole('table').locator('tbody tr')
  }

  /** The Live tab as it is shown: `fullscreen`, `window` (over the whole window) or null (in the screen). */
  async wallboardMode(): Promise<string | null> {
    return this.page.locator('.live-panel').getAttribute('data-wallboard')
  }
}
