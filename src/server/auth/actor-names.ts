import { actorId, actorKind, type Actor } from '../../shared/actors'
import type { StoreReader } from '../store/store'

/** A name a person recognises for an actor: the user's or integration's name, or the connector's `type:inbox`. */
export async function actorName(store: Pick<StoreReader, 'getUser' | 'getIntegration'>, actor: Actor): Promise<string> {
  const id = actorId(actor)
  switch (actorKind(actor)) {
    case 'user':
      return (await store.getUser(id))?.name ?? 'a removed user'
    case 'integration':
      return (await store.getIntegration(id))?.name ?? 'an unknown integration'
    default:
      return id
  }
}
