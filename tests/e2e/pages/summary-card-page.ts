import type { Locator, Page } from 'playwright-core'

/** The customer's story above the timeline; every locator stays inside the card's region. */
export class SummaryCardPage {
  readonly root: Locator
  readonly text: Locator
  readonly chips: Locator
  readonly asOf: Locator
  readonly stale: Locator
  readonly onDevice: Locator
  readonly source: Locator
  readonly regenerate: Locator
  readonly helpful: Locator
  /** A supervisor's line of the model's use today. */
  readonly usage: Locator

  constructor(readonly page: Page) {
    this.root = page.getByRole('region', { name: 'Customer summary' })
    this.text = this.root.locator('.summary-text')
    this.chips = this.root.getByRole('list', { name: 'Facts' }).getByRole('button')
    this.asOf = this.root.getByTestId('summary-asof')
    this.stale = this.root.getByTestId('summary-stale')
    this.onDevice = this.root.getByTestId('summary-device')
    this.source = this.root.getByTestId('summary-source')
    this.regenerate = this.root.getByRole('button', { name: /^(Regenerate|Regenerating…|Summarize)$/ })
    this.helpful = this.root.getByRole('button', { name: 'Helpful', exact: true })
    this.usage = this.root.getByTestId('summary-usage')
  }

  /** Opens the card when it is collapsed into the timeline's tools (a short window, or the agent closed it). */
  async expand(): Promise<void> {
    const toggle = this.root.getByRole('button', { name: 'Summary', exact: true })
    await toggle.waitFor()
    if ((await toggle.getAttribute('aria-expanded')) === 'false') await toggle.click()
    await this.text.waitFor()
  }

  /** The chip of a fact, by its kind ("Reference", "Amount", "Request") and what it shows (a value, the start of its sentence). */
  chip(kind: string, shown: string): Locator {
    return this.chips.filter({ hasText: shown }).and(this.root.getByRole('button', { name: new RegExp(`^${kind}: `) }))
  }

  /** What the chips show, in order. */
  chipTexts(): Promise<string[]> {
    return this.chips.allInnerTexts()
  }
}
