import type { SavedView } from '../../shared/domain'
import type { MutationArgs } from '../../shared/mutations'
import { hasRole } from '../../shared/roles'
import type { CustomerCtx, CustomerOutcome } from './customer-mutations'

/**
 * Saved views of the inbox: an agent saves a filter for themselves or shares it with their own
 * team; supervisors may share with any team. Only the owner changes or deletes a view; a deleted
 * view stays as a row with `deletedAt`, so every cache learns it is gone.
 */

async function ownView(ctx: CustomerCtx, viewId: string): Promise<SavedView | null | { rejected: string }> {
  const view = await ctx.w.getSavedView(viewId)
  if (!view) return null
  if (view.ownerId !== ctx.user.id) return { rejected: `view ${viewId} is someone else’s: save a copy under a new id instead` }
  if (view.deletedAt) return { rejected: `view “${view.name}” was deleted` }
  return view
}

export async function saveView(ctx: CustomerCtx, args: MutationArgs<'saveView'>): Promise<CustomerOutcome> {
  const existing = await ownView(ctx, args.viewId)
  if (existing && 'rejected' in existing) return existing
  if (args.team !== null && args.team !== ctx.user.team && !hasRole(ctx.user, 'supervisor')) {
    return { rejected: ctx.user.team ? `you can share a view with your own team (${ctx.user.team}) only` : 'you are in no team to share a view with' }
  }
  const view: SavedView = {
    id: args.viewId,
    name: args.name,
    ownerId: ctx.user.id,
    team: args.team,
    filters: args.filters,
    createdAt: existing?.createdAt ?? ctx.now,
    updatedAt: ctx.now,
    deletedAt: null,
  }
  await ctx.w.put('savedView', view)
  return null
}

export async function deleteView(ctx: CustomerCtx, args: MutationArgs<'deleteView'>): Promise<CustomerOutcome> {
  const view = await ctx.w.getSavedView(args.viewId)
  if (view?.deletedAt && view.ownerId === ctx.user.id) return { duplicate: true }
  const own = await ownView(ctx, args.viewId)
  if (!own) return { rejected: `unknown view ${args.viewId}` }
  if ('rejected' in own) return own
  await ctx.w.put('savedView', { ...own, deletedAt: ctx.now, updatedAt: ctx.now })
  return null
}
