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
}
