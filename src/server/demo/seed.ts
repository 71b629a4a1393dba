import { systemActor } from '../../shared/actors'
import type { User } from '../../shared/domain'
import type { MutationName } from '../../shared/mutations'
import type { SyncServer } from '../server'
import { DEMO_AGENT_EMAIL, DEMO_AGENTS, DEMO_SUPERVISOR_EMAIL, generateDemo, type DemoAction, type DemoOptions } from './generate'

export interface DemoSummary {
  /** The agent whose workspace tests open: Alex, who answers conversations. */
  agentEmail: string
  /** The supervisor the demo app signs in as. */
  supervisorEmail: string
  steps: number
  /**
   * Customers' messages the server put in another conversation than the one their thread began:
   * where the generator's idea of who is who (two people given the same address) differs from
   * identity resolution's.
   */
  rethreaded: number
}

/** The demo's users by email, created where missing (a database seeded before one was added). */
export async function ensureDemoUsers(server: SyncServer): Promise<Map<string, User>> {
  const users = new Map<string, User>()
  for (const agent of DEMO_AGENTS) {
    users.set(agent.email, (await server.findUserByEmail(agent.email)) ?? (await server.createUser({ ...agent, inboxes: null })))
  }
  return users
}

/**
 * Feeds the generated history through the server's real ingest path and agent mutations,
 * exactly as connectors and clients would, so the demo exercises dedupe, identity
 * resolution, threading and the change log. Each item and action is dated when the history
 * says it happened, so reporting events fall on the days they describe.
 */
export async function seedDemo(server: SyncServer, options: DemoOptions = {}): Promise<DemoSummary> {
  const users = await ensureDemoUsers(server)
  const conversationOfThread = new Map<string, string>()
  const actionsOfThread = new Map<string, number>()
  let steps = 0
  let rethreaded = 0

  for (const step of generateDemo(options)) {
    steps++
    if (step.kind === 'inbound') {
      const result = await server.ingest(step.item, systemActor('demo'), { at: step.item.sentAt })
      const before = conversationOfThread.get(step.thread)
      if (before !== undefined && before !== result.conversationId) rethreaded++
      conversationOfThread.set(step.thread, result.conversationId)
      continue
    }
    const conversationId = conversationOfThread.get(step.thread)
    if (step.kind === 'rating') {
      // Only where the resolution sent a survey: a customer asked within the week is not asked again.
      const survey = conversationId ? await server.openSurvey(conversationId, step.at) : null
      if (!survey) continue
      if (step.reply && step.reply.channel === survey.channel) await server.ingest(step.reply, systemActor('demo'), { at: step.at })
      else if (!step.reply) await server.answerSurvey(survey.id, step.rating, { at: step.at })
      continue
    }
    const user = users.get(step.agentEmail)
    if (!conversationId || !user) throw new Error(`demo step ${steps} refers to an unknown thread or agent`)
    const n = (actionsOfThread.get(step.thread) ?? 0) + 1
    actionsOfThread.set(step.thread, n)
    const mutation = toMutation(step.action, conversationId, `demo-${step.thread}-${n}`, users)
    const result = await server.applyMutation(user, mutation, undefined, { at: step.at })
    if (result.outcome === 'rejected') throw new Error(`demo step ${steps} was rejected: ${result.error}`)
  }
  return { agentEmail: DEMO_AGENT_EMAIL, supervisorEmail: DEMO_SUPERVISOR_EMAIL, steps, rethreaded }
}

function toMutation(
  action: DemoAction,
  conversationId: string,
  id: string,
  users: Map<string, User>,
): { name: MutationName; args: unknown } {
  switch (action.name) {
    case 'reply':
      return { name: 'reply', args: { messageId: id, conversationId, text: action.text } }
    case 'note':
      return { name: 'note', args: { noteId: id, conversationId, text: action.text } }
    case 'assign':
      return { name: 'assign', args: { conversationId, assigneeId: users.get(action.assigneeEmail)?.id ?? null, team: action.team } }
    case 'setStatus':
      return { name: 'setStatus', args: { conversationId, status: action.status } }
    case 'label':
      return { name: 'label', args: { conversationId, add: action.add, remove: [] } }
  }
}
