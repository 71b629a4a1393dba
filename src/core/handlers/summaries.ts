import type { Summary } from '../../shared/domain'
import type { CustomerSummaries, IpcHandlers, OutboxState, SummaryView } from '../../shared/ipc'
import { MUTATION_ARGS } from '../../shared/mutations'
import { regenerateRefusal, summaryId } from '../../shared/summaries'
import { prepareSummarizer, summarizeStory, updateStory } from '../../shared/summarizer'
import { SummaryUsageOfDay } from '../../shared/summary-usage'
import { getCustomer, getEntity, listOutboxByName, writeLocalEntity } from '../db/queries'
import { cachedStoryContext, getRating, getStory, listSummaryItems, storyStaleness } from '../db/summary-queries'
import { IpcError } from '../errors'
import { enqueueAction } from '../sync/outbox'
import type { HandlerContext } from './context'
import { serverRest } from './server-rest'

type SummaryMethods = 'summaries.ofCustomer' | 'summaries.regenerate' | 'summaries.rate' | 'summaries.usage'

/**
 * A customer's story in the customer pane. The server writes stories and sends them like any
 * entity; this core writes one itself from its cache, with the embedded summarizer, when the
 * server's cannot help: none has arrived (not yet, or never: a story reading an inbox this
 * agent may not see never reaches them), or it is stale while the sync is not online. Such a
 * story is marked `updatedOnDevice` and lasts until the server's next version replaces it.
 */
export function summaryHandlers(ctx: HandlerContext, now: () => number = Date.now): Pick<IpcHandlers, SummaryMethods> {
  const online = (): boolean => ctx.engine.state().status === 'online'
  // The summarizer's language model loads in the background as the core starts; a story written here waits for it.
  const summarizerReady = prepareSummarizer()
  summarizerReady.catch(() => undefined)

  function changed(customerId: string): void {
    ctx.emit('data.changed', { entities: ['summary'], customerIds: [customerId] })
  }

  /**
   * Writes the customer's story from the cache: from `previous`'s text and facts and only the
   * items after it when given (the summarizer's incremental update), else from every item.
   * Null when there is nothing (new) to read.
   */
  function writeOnDevice(customerId: string, previous: Summary | null): Summary | null {
    const items = listSummaryItems(ctx.db, { customerId, after: previous?.coversThrough })
    const newest = items.at(-1)
    if (!newest) return null
    const context = cachedStoryContext(ctx.db, customerId)
    const draft = previous ? updateStory({ text: previous.text, facts: previous.facts }, items, context) : summarizeStory(items, context)
    const inboxes = new Set(previous?.inboxes)
    for (const item of items) if (item.inbox !== null) inboxes.add(item.inbox)
    const story: Summary = {
      id: summaryId('customer_story', customerId),
      kind: 'customer_story',
      customerId,
      conversationId: null,
      callId: null,
      text: draft.text,
      facts: draft.facts,
      provider: 'embedded',
      model: null,
      fallbackReason: null,
      coversItemId: newest.id,
      coversThrough: newest.at,
      itemCount: (previous?.itemCount ?? 0) + items.length,
      inboxes: [...inboxes].sort(),
      generatedAt: now(),
      updatedOnDevice: true,
    }
    // The server's copy (if any) is kept under it: its next version replaces this one.
    writeLocalEntity(ctx.db, 'summary', story)
    changed(customerId)
    return story
  }

  /**
   * The story as the pane shows it, written on this device first when it must be. It is only
   * written when missing or stale, and the result is stored, so reading an unchanged customer
   * again reads two index ranges and writes nothing.
   */
  function currentStory(customerId: string): Summary | null {
    const story = getStory(ctx.db, customerId)
    if (!story) {
      // A merged customer's items moved to the customer they were merged into, whose story tells them.
      if (getCustomer(ctx.db, customerId)?.mergedInto) return null
      return writeOnDevice(customerId, null)
    }
    if (storyStaleness(ctx.db, { customerId, coversThrough: story.coversThrough }).newItems === 0) return story
    // Online, the server's next version is on its way, unless the story is this device's own
    // (the server's may never reach this agent): that one is kept up to date here.
    if (online() && !story.updatedOnDevice) return story
    return writeOnDevice(customerId, story) ?? story
  }

  /** This agent's latest regeneration of the customer's story that the server has not taken, or its refusal. */
  function regenerating(customerId: string): OutboxState | null {
    const rows = listOutboxByName(ctx.db, ['regenerateSummary']).filter(
      (row) => MUTATION_ARGS.regenerateSummary.parse(row.args).customerId === customerId,
    )
    const last = rows.at(-1)
    return last ? { mutationId: last.mutationId, state: last.state, error: last.error } : null
  }

  function view(story: Summary): SummaryView {
    return {
      ...story,
      staleness: storyStaleness(ctx.db, { customerId: story.customerId, coversThrough: story.coversThrough }),
      myRating: getRating(ctx.db, { summaryId: story.id, generatedAt: story.generatedAt }),
    }
  }

  return {
    'summaries.ofCustomer': async ({ customerId }): Promise<CustomerSummaries> => {
      await summarizerReady
      const story = currentStory(customerId)
      return { story: story ? view(story) : null, regenerating: regenerating(customerId) }
    },

    'summaries.regenerate': async ({ customerId }) => {
      await summarizerReady
      // Offline the device writes it from its cache, which costs nothing: no cooldown.
      if (!online()) {
        if (!writeOnDevice(customerId, null)) {
          throw new IpcError('bad_request', `Customer ${customerId} has no messages, calls or notes on this device to write a story from.`)
        }
        return { local: true }
      }
      const story = getStory(ctx.db, customerId)
      // The server's rule, checked before queuing; a story this device wrote costs nothing to write again.
      const refusal = story && !story.updatedOnDevice ? regenerateRefusal(story, now()) : null
      if (refusal) throw new IpcError('bad_request', `${refusal.message[0]!.toUpperCase()}${refusal.message.slice(1)}.`)
      // Asked twice before the server took the first: one request is enough.
      const queued = regenerating(customerId)
      if (queued?.state === 'pending') return { mutationId: queued.mutationId }
      const row = enqueueAction(ctx.db, { name: 'regenerateSummary', args: { customerId }, conversationId: '', itemId: summaryId('customer_story', customerId) }, now())
      changed(customerId)
      ctx.engine.schedulePush()
      return { mutationId: row.mutationId }
    },

    'summaries.rate': (args) => {
      const summary = getEntity(ctx.db, 'summary', args.summaryId)?.current
      if (!summary) throw new IpcError('not_found', `Summary ${args.summaryId} is not in this device's cache.`)
      if (summary.generatedAt !== args.generatedAt) throw new IpcError('bad_request', 'The summary was rewritten since you read it: rate the new version.')
      // The server judges the versions it wrote; this one exists only here.
      if (summary.updatedOnDevice) {
        throw new IpcError('bad_request', 'This summary was written on this device from its cache: rate the server’s version once it arrives.')
      }
      const row = enqueueAction(ctx.db, { name: 'rateSummary', args, conversationId: '', itemId: args.summaryId }, now())
      changed(summary.customerId)
      ctx.engine.schedulePush()
      return { mutationId: row.mutationId }
    },

    'summaries.usage': () => serverRest(ctx, 'the summary model’s usage')('GET', '/summaries/usage', SummaryUsageOfDay),
  }
}
