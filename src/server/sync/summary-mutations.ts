import type { Summary } from '../../shared/domain'
import type { MutationArgs } from '../../shared/mutations'
import { REGENERATE_COOLDOWN_MS, summaryId } from '../../shared/summaries'
import { canSeeCustomer, canSeeInbox } from './access'
import type { CustomerCtx, CustomerOutcome } from './customer-mutations'

/**
 * What agents do with summaries: ask for a customer's story afresh (the request waits in the
 * store for whichever node summarizes, so it survives that node's restart), and rate a version.
 */

/** Whether the user may read the summary: a story only by who may see every inbox it read. */
async function mayRead(ctx: CustomerCtx, summary: Summary): Promise<boolean> {
  if (summary.conversationId !== null) {
    const conversation = await ctx.w.getConversation(summary.conversationId)
    return conversation !== null && canSeeInbox(ctx.user, conversation.inbox)
  }
  return summary.inboxes.every((inbox) => canSeeInbox(ctx.user, inbox)) && (await canSeeCustomer(ctx.w, ctx.user, summary.customerId))
}

export async function regenerateSummary(ctx: CustomerCtx, args: MutationArgs<'regenerateSummary'>): Promise<CustomerOutcome> {
  if (!(await ctx.w.getCustomer(args.customerId)) || !(await canSeeCustomer(ctx.w, ctx.user, args.customerId))) {
    return { rejected: `unknown customer ${args.customerId}` }
  }
  const story = await ctx.w.getSummary(summaryId('customer_story', args.customerId))
  const since = story ? ctx.now - story.generatedAt : Number.POSITIVE_INFINITY
  if (since < REGENERATE_COOLDOWN_MS) {
    const wait = Math.ceil((REGENERATE_COOLDOWN_MS - since) / 1000)
    return { rejected: `the story was written ${Math.max(0, Math.floor(since / 1000))} s ago: it can be written afresh in ${wait} s` }
  }
  await ctx.w.requestSummary(args.customerId, ctx.user.id, ctx.now)
  return null
}

export async function rateSummary(ctx: CustomerCtx, args: MutationArgs<'rateSummary'>): Promise<CustomerOutcome> {
  const summary = await ctx.w.getSummary(args.summaryId)
  if (!summary || !(await mayRead(ctx, summary))) return { rejected: `unknown summary ${args.summaryId}` }
  if (summary.generatedAt !== args.generatedAt) return { rejected: 'the summary was rewritten since you read it: rate the new version' }
  await ctx.w.putSummaryFeedback({
    summaryId: summary.id,
    userId: ctx.user.id,
    generatedAt: summary.generatedAt,
    rating: args.rating,
    provider: summary.provider,
    model: summary.model,
    summaryText: summary.text,
    createdAt: ctx.now,
  })
  return null
}
