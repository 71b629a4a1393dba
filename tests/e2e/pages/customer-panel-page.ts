import type { Locator, Page } from 'playwright-core'

/** The customer panel beside the timeline: identities, labels, duplicates, merge and undo. */
export class CustomerPanelPage {
  readonly root: Locator

  constructor(readonly page: Page) {
    this.root = page.getByRole('complementary', { name: 'Customer details' })
  }

  identities(): Promise<string[]> {
    return this.root.getByRole('list', { name: 'Identities' }).getByRole('listitem').allInnerTexts()
  }

  suggestion(candidateName: string): Locator {
    return this.root.getByTestId('merge-suggestion').filter({ hasText: candidateName })
  }

  /** Opens the merge dialog from a suggestion and returns what its preview says. */
  async previewMergeWith(candidateName: string): Promise<string> {
    await this.suggestion(candidateName).getByRole('button', { name: 'Merge…' }).click()
    const preview = this.page.getByTestId('merge-preview')
    await preview.waitFor()
    return preview.innerText()
  }

  async confirmMerge(): Promise<void> {
    const dialog = this.page.getByRole('dialog')
    await dialog.getByRole('button', { name: 'Merge customers' }).click()
    await dialog.waitFor({ state: 'detached' })
  }

  /** Asks to undo the merge and confirms in the dialog that follows. */
  async undoMerge(): Promise<void> {
    await this.root.getByTestId('merge-record').getByRole('button', { name: 'Undo merge' }).click()
    const confirm = this.page.getByRole('dialog', { name: /^Undo the merge of/ })
    await confirm.getByRole('button', { name: 'Undo merge' }).click()
    await confirm.waitFor({ state: 'detached' })
  }

  mergeRecord(): Locator {
    return this.root.getByTestId('merge-record')
  }

  async addLabel(label: string): Promise<void> {
    const input = this.root.getByRole('textbox', { name: 'Add a customer label' })
    await input.fill(label)
    await input.press('Enter')
  }

  labels(): Locator {
    return this.root.getByRole('list', { name: 'Customer labels' })
  }

  /** Records, as an agent told by the customer, that they gave or withdrew consent to `key` (its label). */
  async recordConsent(key: string, given: boolean, note: string): Promise<void> {
    const consent = this.root.getByRole('region', { name: 'Consent' })
    await consent.getByRole('button', { name: 'Record a change' }).click()
    const form = consent.getByRole('form', { name: 'Record a consent change' })
    await form.getByLabel('Consent to').selectOption({ label: key })
    await form.getByRole('radio', { name: given ? 'gave it' : 'withdrew it' }).check()
    await form.getByLabel('How they said so').fill(note)
    await form.getByRole('button', { name: 'Record' }).click()
    await form.waitFor({ state: 'detached' })
  }

  /** What the consent grid says for a key: Yes, No or Not asked. */
  consentValue(key: string): Promise<string> {
    return this.root.locator('.consent-row').filter({ has: this.page.locator('dt', { hasText: new RegExp(`^${key}$`) }) }).locator('dd').innerText()
  }

  async consentHistory(): Promise<string[]> {
    const history = this.root.getByRole('group').filter({ has: this.page.locator('summary', { hasText: /^History/ }) })
    await history.locator('summary').click()
    return this.root.getByTestId('consent-record').allInnerTexts()
  }

  /** Asks for the customer's archive and waits for the panel to say where it was saved; returns what it says. */
  async exportData(): Promise<string> {
    const section = this.exportSection()
    const previous = section.getByTestId('export-saved')
    const before = (await previous.isVisible()) ? await previous.innerText() : null
    await section.getByRole('button', { name: 'Export data' }).click()
    const saved = (before === null ? previous : previous.filter({ hasNotText: before })).or(section.getByRole('alert'))
    await saved.waitFor()
    return saved.innerText()
  }

  exportSection(): Locator {
    return this.root.getByRole('region', { name: 'Data export' })
  }

  /** Erases the customer from the panel, confirming in the dialog; returns what the dialog said of the grace period. */
  async eraseCustomer(customerName: string, options: { now?: boolean } = {}): Promise<string> {
    await this.root.getByRole('region', { name: 'Erasure' }).getByRole('button', { name: 'Erase customer…' }).click()
    const dialog = this.page.getByRole('dialog', { name: `Erase ${customerName}?` })
    if (options.now) await dialog.getByRole('checkbox', { name: /Legal request/ }).check()
    const grace = await dialog.getByTestId('erase-grace').innerText()
    await dialog.getByRole('button', { name: `Erase ${customerName}` }).click()
    await dialog.waitFor({ state: 'detached' })
    return grace
  }
}
