import type { Locator, Page } from 'playwright-core'

/** The Reports tab of the supervisors' dashboards: range, tiles, charts, tables, and the conversations behind a figure. */
export class ReportsPage {
  readonly panel: Locator
  readonly agents: Locator
  readonly paths: Locator
  readonly range: Locator

  constructor(readonly page: Page) {
    this.panel = page.getByRole('region', { name: 'Reports' })
    this.agents = this.panel.getByRole('table', { name: 'Agents' })
    this.paths = this.panel.getByRole('table', { name: 'Channel paths' })
    this.range = this.panel.getByRole('combobox', { name: 'Range', exact: true })
  }

  /** Opens the dashboards from the sidebar and picks the Reports tab. */
  async open(): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Inbox views' }).getByRole('button', { name: 'Dashboards' }).click()
    await this.page.getByRole('region', { name: 'Dashboards' }).getByRole('tab', { name: 'Reports' }).click()
    await this.tile('Conversations created').waitFor()
  }

  tile(title: string): Locator {
    return this.panel.getByRole('group', { name: title, exact: true })
  }

  /** What a tile shows as its figure(s), e.g. "3" or "Median 10 min 90th percentile 30 min". */
  async tileValue(title: string): Promise<string> {
    const text = await this.tile(title).locator('.report-tile-value').innerText()
    return text.replace(/\s+/g, ' ').trim()
  }

  async tileDetail(title: string): Promise<string> {
    return (await this.tile(title).locator('.report-tile-detail').innerText()).replace(/\s+/g, ' ').trim()
  }

  /** A number that opens its conversations, by the title of the list it opens. */
  figure(title: string): Locator {
    return this.panel.getByRole('button', { name: new RegExp(`^${title}: `) })
  }

  /** Opens the conversations behind a figure; resolves with the dialog listing them. */
  async drill(figure: Locator, title: string | RegExp): Promise<Locator> {
    await figure.click()
    const dialog = this.page.getByRole('dialog', { name: title })
    await dialog.getByRole('table').waitFor()
    return dialog
  }

  rows(dialog: Locator): Locator {
    return dialog.getByRole('table').locator('tbody tr')
  }

  /** Saves the list as CSV; resolves with what the dialog says about the file. */
  async exportCsv(dialog: Locator): Promise<string> {
    await dialog.getByRole('button', { name: 'Export CSV' }).click()
    const status = dialog.getByRole('status')
    await status.waitFor()
    return status.innerText()
  }

  agentRow(name: string): Locator {
    return this.agents.locator('tbody tr').filter({ hasText: name })
  }

  /** Checks or unchecks one value of a filter (e.g. "Channel", "SMS"), then closes its list with Escape. */
  async toggleFilter(filter: string, value: string): Promise<void> {
    await this.panel.getByRole('group', { name: 'Filters' }).getByRole('button', { name: new RegExp(`^${filter}:`) }).click()
    await this.panel.getByRole('group', { name: filter, exact: true }).getByRole('checkbox', { name: value }).click()
    await this.page.keyboard.press('Escape')
  }

  async setHours(hours: 'Calendar hours' | 'Business hours'): Promise<void> {
    await this.panel.getByRole('radio', { name: hours }).check()
  }

  async pickRange(label: string): Promise<void> {
    await this.range.selectOption({ label })
  }

  /** The chart's numbers as a table, opened: its buttons open the same conversations as the chart. */
  async chartTable(summary: string): Promise<Locator> {
    const details = this.panel.locator('details').filter({ hasText: summary })
    await details.locator('summary').click()
    return details.getByRole('table')
  }

  /** The heat map's canvas box, to click a cell as a mouse would. */
  heatMap(): Locator {
    return this.panel.locator('.report-heat-chart')
  }
}
