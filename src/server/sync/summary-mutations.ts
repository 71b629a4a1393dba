import type { MutationArgs } from '../../shared/mutations'
import { REGENERATE_COOLDOWN_MS, summaryId } from '../../shared/summaries'
import { canReadSummary, canSeeCustomer } from './access'
import type { StoreReader } from '../store/store'
import type { CustomerCtx, CustomerOutcome } from './customer-mutations'

/**
 * What agents do with summaries: ask for a customer's story afresh (the request waits in the
 * store for whichever node summarizes, so it survives that node's restart), and rate a version.
 */



/** Why the customer's story may not be asked for afresh yet, and for how long (ms); null when it may. */
export async function regenerateRefusal(store: Pick<StoreReader, 'getSummary'>, customerId: string, now: number): Promise<{ message: string; waitMs: number } | null> {
  const story = await store.getSummary(summaryId('customer_story', customerId))
  const since = story ? now - story.generatedAt : Number.POSITIVE_INFINITY
  if (since >= REGENERATE_COOLDOWN_MS) return null
  const waitMs = REGENERATE_COOLDOWN_MS - since
  return { message: `the story was written ${Math.max(0, Math.floor(since / 1000))} s ago: it can be written afresh in ${Math.ceil(waitMs / 1000)} s`, waitMs }
}

export async function regenerateSummary(ctx: CustomerCtx, args: MutationArgs<'regenerateSummary'>): Promise<CustomerOutcome> {
  if (!(await ctx.w.getCustomer(args.customerId)) || !(await canSeeCustomer(ctx.w, ctx.user, args.customerId))) {
    return { rejected: `unknown customer ${args.customerId}` }
  }
  const refusal = await regenerateRefusal(ctx.w, args.customerId, ctx.now)
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
