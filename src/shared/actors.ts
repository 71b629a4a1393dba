import { z } from 'zod'

/**
 * Who made a change: a signed-in user, a channel connector serving one inbox, an integration
 * posting through the API channel, or the server itself (the CLI, the demo). Written on every
 * change-log row and on consent events, so "who did this?" always has an answer.
 */
export const ACTOR_KINDS = ['user', 'connector', 'integration', 'system'] as const
export type ActorKind = (typeof ACTOR_KINDS)[number]

export type Actor = `${ActorKind}:${string}`

export const Actor = z
  .string()
  .regex(new RegExp(`^(${ACTOR_KINDS.join('|')}):.+$`), 'an actor is "<user|connector|integration|system>:<id>"')
  .transform((s) => s as Actor)

export const userActor = (userId: string): Actor => `user:${userId}`
export const integrationActor = (integrationId: string): Actor => `integration:${integrationId}`
/** A connector by its name, `type:inbox` (e.g. `connector:twilio-sms:SMS`). */
export const connectorActor = (connectorName: string): Actor => `connector:${connectorName}`
export const systemActor = (what: string): Actor => `system:${what}`

export function actorKind(actor: Actor): ActorKind {
  return actor.slice(0, actor.indexOf(':')) as ActorKind
}

/** The id after the kind: a user or integration id, a connector's `type:inbox`. */
export function actorId(actor: Actor): string {
  return actor.slice(actor.indexOf(':') + 1)
}
