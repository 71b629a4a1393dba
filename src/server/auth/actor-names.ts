import { actorId, actorKind, type Actor } from '../../shared/actors'
import type { StoreReader } from '../store/store'

/** A name a person recognises for an actor: the user's or integration's name, or the connector's `type:inbox`. */
export function actorName(store: Pick<StoreReader, 'getUser' | 'getIntegration'>, actor: Actor): string {
  const id = actorId(actor)
  switch (actorKind(actor)) {
    case 'user':
      return store.getUser(id)?.name ?? 'a removed user'
    case 'integration':
      return store.getIntegration(id)?.name ?? 'an unknown integration'
    default:
      return id
  }
}
