import type { Locator, Page } from 'playwright-core'

/** The agent workspace as a user sees it: inbox, a customer's timeline, the composer. */
export class WorkspacePage {
  readonly inbox: Locator
  readonly timeline: Locator
  readonly customerTitle: Locator
  readonly searchBox: Locator
  readonly searchResults: Locator

  constructor(readonly page: Page) {
    this.searchBox = page.getByRole('searchbox', { name: 'Search messages, notes and customers' })
    this.searchResults = page.getByRole('listbox', { name: 'Search results' })
    this.inbox = page.getByRole('listbox', { name: 'Conversations' })
    this.timeline = page.getByTestId('timeline')
    this.customerTitle = page.locator('.customer-title')
  }

  async open(url: string): Promise<void> {
    await this.page.goto(url)
    await this.inbox.waitFor()
  }

  /** Picks a sidebar entry: a view, a team or a channel. */
  async showView(label: string): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Inbox views' }).getByRole('button').filter({ hasText: label }).first().click()
    await this.page.locator('#inbox-title').filter({ hasText: label }).waitFor()
  }

  /** The number the inbox header shows for the current view. */
  async inboxCount(): Promise<number> {
    const text = await this.page.getByTestId('inbox-count').innerText()
    return Number(text.split('·').at(-1)?.replace(/[^0-9]/g, '') ?? NaN)
  }

  async search(text: string): Promise<void> {
    await this.searchBox.fill(text)
    await this.searchResults.waitFor()
  }

  async clearSearch(): Promise<void> {
    await this.searchBox.fill('')
    await this.inbox.waitFor()
  }

  /** What each search result says, matched words included. */
  async searchHits(): Promise<string[]> {
    return this.searchResults.getByRole('option').allInnerTexts()
  }

  /** True when this customer's timeline is the one shown. */
  async isOpen(customerName: string): Promise<boolean> {
    return (await this.customerTitle.count()) > 0 && (await this.customerTitle.innerText()).trim() === customerName
  }

  /** The accessible name of what has the keyboard focus. */
  async focusedLabel(): Promise<string | null> {
    return this.page.evaluate<string | null>(`document.activeElement?.getAttribute('aria-label') ?? null`)
  }

  async syncStatus(): Promise<string> {
    return (await this.page.getByTestId('sync-indicator').innerText()).split('\n')[0]?.trim() ?? ''
  }

  async openPalette(): Promise<void> {
    await this.page.keyboard.press('Control+k')
    await this.page.getByRole('dialog', { name: 'Command palette' }).waitFor()
  }

  inboxRow(customerName: string): Locator {
    return this.inbox.getByRole('option').filter({ hasText: customerName })
  }

  async openCustomer(customerName: string): Promise<void> {
    await this.inboxRow(customerName).first().click()
    await this.customerTitle.filter({ hasText: customerName }).waitFor()
  }

  /** Messages and calls in the order the timeline shows them, as the channel each came by. */
  async timelineChannels(): Promise<string[]> {
    return this.timeline
      .locator(':scope > li[data-kind="message"], :scope > li[data-kind="call"]')
      .evaluateAll((items) => items.map((li) => li.getAttribute('data-channel') ?? '?'))
  }

  /** Scrolls the timeline to its newest item, as an agent would to read what just happened. */
  async scrollTimelineToEnd(): Promise<void> {
    await this.page.getByTestId('timeline-scroller').evaluate((el) => el.scrollTo({ top: el.scrollHeight }))
  }

  async timelineTexts(): Promise<string[]> {
    return this.timeline.locator(':scope > li[data-kind]').allInnerTexts()
  }

  async reply(text: string): Promise<void> {
    const editor = this.page.getByRole('textbox', { name: 'Reply to the customer' })
    await editor.click()
    await editor.pressSequentially(text)
    await this.page.getByRole('button', { name: 'Send', exact: true }).click()
  }

  /** Picks which of the customer's conversations the header's actions work on, by channel. */
  async actOnConversation(channelLabel: string): Promise<void> {
    const select = this.page.getByRole('combobox', { name: 'Conversation to act on' })
    const option = select.locator('option').filter({ hasText: channelLabel }).first()
    await select.selectOption(await option.getAttribute('value'))
  }

  async assignToMe(): Promise<void> {
    const button = this.page.getByRole('button', { name: 'Assign to me', exact: true })
    await button.click()
    await button.waitFor({ state: 'detached' })
  }

  async resolve(): Promise<void> {
    await this.page.getByRole('button', { name: 'Resolve', exact: true }).click()
    await this.page.getByRole('button', { name: 'Reopen', exact: true }).waitFor()
  }

  async conversationStatus(): Promise<string> {
    return (await this.page.getByTestId('conversation-status').innerText()).trim()
  }

  message(text: string): Locator {
    return this.timeline.locator(':scope > li[data-kind="message"]').filter({ hasText: text })
  }

  async deliveryState(text: string): Promise<string | null> {
    const state = this.message(text).getByTestId('delivery-state')
    if ((await state.count()) === 0) return null
    return (await state.first().innerText()).trim()
  }
}
