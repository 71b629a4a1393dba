import type { MutationArgs } from '../../shared/mutations'
import { regenerateRefusal, summaryId } from '../../shared/summaries'
import { canReadSummary, canSeeCustomer } from './access'
import type { CustomerCtx, CustomerOutcome } from './customer-mutations'

/**
 * What agents do with summaries: ask for a customer's story afresh (the request waits in the
 * store for whichever node summarizes, so it survives that node's restart), and rate a version.
 */


export async function regenerateSummary(ctx: CustomerCtx, args: MutationArgs<'regenerateSummary'>): Promise<CustomerOutcome> {
  if (!(await ctx.w.getCustomer(args.customerId)) || !(await canSeeCustomer(ctx.w, ctx.user, args.customerId))) {
    return { rejected: `unknown customer ${args.customerId}` }
  }
  const refusal = regenerateRefusal(await ctx.w.getSummary(summaryId('customer_story', args.customerId)), ctx.now)
  if (refusal) return { rejected: refusal.message }
  await ctx.w.requestSummary(args.customerId, ctx.user.id, ctx.now)
  return null
}

export async function rateSummary(ctx: CustomerCtx, args: MutationArgs<'rateSummary'>): Promise<CustomerOutcome> {
  const summary = await ctx.w.getSummary(args.summaryId)
  if (!summary || !(await canReadSummary(ctx.w, ctx.user, summary))) return { rejected: `unknown summary ${args.summaryId}` }
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
