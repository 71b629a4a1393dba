import type { Locator, Page } from 'playwright-core'

/** The administration screen's Audit log tab: filters, the entries table and the CSV export. */
export class AuditLogPage {
  readonly section: Locator
  readonly entries: Locator

  constructor(readonly page: Page) {
    this.section = page.getByRole('region', { name: 'Audit log' })
    this.entries = this.section.getByRole('table', { name: 'Audit log entries' })
  }

  /** Opens the tab from the administration screen. */
  async open(): Promise<void> {
    await this.page.getByRole('region', { name: 'Administration' }).getByRole('tab', { name: 'Audit log' }).click()
    await this.entries.waitFor()
  }

  /** The rows of entries with this action (e.g. `timeline.opened`). */
  rows(action: string): Locator {
    return this.entries.locator(`tbody tr[data-action="${action}"]`)
  }

  async filterAction(label: string): Promise<void> {
    await this.section.getByLabel('Action').selectOption({ label })
  }

  /** Exports with the filters set; resolves with what the tab says about the saved file. */
  async exportCsv(): Promise<string> {
    await this.section.getByRole('button', { name: 'Export CSV' }).click()
    const status = this.section.getByRole('status')
    await status.waitFor()
    return status.innerText()
  }
}
