import { describe, expect, it } from 'vitest'
import type { Conversation } from '../domain'
import { BusinessHours } from './business-hours'
import { nextSla, SlaPolicies, SlaPolicy, slaPolicyFor, type ConversationSla, type SlaStep } from './sla'
import { slaHeadline, slaNextDueAt, slaUnmetDueAt } from './sla-due'

const at = (iso: string): number => {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) throw new Error(`not an instant: ${iso}`)
  return ms
}
const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString())

const OFFICE = [{ from: '09:00', to: '17:00' }]
/** Monday to Friday, 09:00–17:00, in London (clocks go forward on 2026-03-29). */
const LONDON = BusinessHours.parse({ timeZone: 'Europe/London', week: { mon: OFFICE, tue: OFFICE, wed: OFFICE, thu: OFFICE, fri: OFFICE } })
const POLICY = SlaPolicy.parse({ name: 'Standard', firstResponseMinutes: 60, nextResponseMinutes: 30, resolutionMinutes: 8 * 60 })

const conversation = (overrides: Partial<Conversation> = {}): Conversation => ({
  id: 'c1',
  customerId: 'cu1',
  channel: 'email',
  inbox: 'Support',
  subject: null,
  status: 'open',
  snoozedUntil: null,
  assigneeId: null,
  team: null,
  threadKey: 't',
  labels: [],
  priority: 'normal',
  previousConversationId: null,
  lastMessageAt: 0,
  waitingSince: null,
  createdAt: 0,
  updatedAt: 0,
  ...overrides,
})

/** A conversation's life as a chain of writes, each from the state the one before left. */
class Life {
  sla: ConversationSla | null = null
  current: Conversation | null = null
  breached: SlaStep['breached'] = []

  write(when: string, changes: Partial<Conversation>, options: { humanReply?: boolean; policy?: SlaPolicy } = {}): this {
    const time = at(when)
    const after = conversation({ ...this.current, ...changes, updatedAt: time })
    const step = nextSla({ policy: options.policy ?? POLICY, hours: LONDON, previous: this.sla, before: this.current, after, humanReply: options.humanReply ?? false, at: time })
    this.sla = step.sla
    this.current = after
    this.breached.push(...step.breached)
    return this
  }

  begin(when: string): this {
    const time = at(when)
    return this.write(when, { createdAt: time, lastMessageAt: time, waitingSince: time })
  }

  reply(when: string): this {
    return this.write(when, { waitingSince: null }, { humanReply: true })
  }
}

describe('SLA clocks', () => {
  it('starts first response and resolution when the customer begins, in business time: Friday 16:30 + 1 h is Monday 09:30', () => {
    const life = new Life().begin('2026-03-06T16:30Z')
    expect(life.sla?.firstResponse).toEqual({ startedAt: at('2026-03-06T16:30Z'), dueAt: at('2026-03-09T09:30Z'), state: 'active', remainingMs: null })
    // 8 business hours: the last half hour of Friday and 7.5 hours of Monday.
    expect(iso(life.sla?.resolution?.dueAt)).toBe('2026-03-09T16:30:00.000Z')
    expect(iso(slaNextDueAt(life.sla))).toBe('2026-03-09T09:30:00.000Z')
    expect(life.sla?.nextResponse).toBeNull()
  })

  it('reads the wall clock across the change to summer time: Friday 16:30 GMT + 1 h is Monday 09:30 BST (08:30Z)', () => {
    const life = new Life().begin('2026-03-27T16:30Z')
    expect(iso(life.sla?.firstResponse?.dueAt)).toBe('2026-03-30T08:30:00.000Z')
  })

  it('achieves the first response with a human reply before it is due, and starts the next response when the customer writes again', () => {
    const life = new Life().begin('2026-03-09T09:00Z').reply('2026-03-09T09:40Z')
    expect(life.sla?.firstResponse?.state).toBe('achieved')
    expect(life.sla?.replied).toBe(true)
    life.write('2026-03-09T16:50Z', { waitingSince: at('2026-03-09T16:50Z'), lastMessageAt: at('2026-03-09T16:50Z') })
    // 10 minutes left on Monday, 20 on Tuesday morning.
    expect(life.sla?.nextResponse).toMatchObject({ state: 'active', dueAt: at('2026-03-10T09:20Z') })
    life.reply('2026-03-10T09:05Z')
    expect(life.sla?.nextResponse?.state).toBe('achieved')
    // Its 8 business hours ran out at Monday's close; the responses were in time.
    expect(life.breached).toEqual([{ target: 'resolution', at: at('2026-03-09T17:00Z') }])
  })

  it('breaches a target whose due time has passed at the next write, dated when it passed; a reply at the due time is late', () => {
    const life = new Life().begin('2026-03-09T09:00Z').write('2026-03-09T10:00Z', { priority: 'high' })
    expect(life.sla?.firstResponse?.state).toBe('breached')
    expect(life.breached).toEqual([{ target: 'first_response', at: at('2026-03-09T10:00Z') }])
    life.reply('2026-03-09T10:05Z')
    expect(life.sla?.firstResponse?.state).toBe('breached')
    expect(life.sla?.replied).toBe(true)
  })

  it('breaches at once a conversation that began long ago (an email fetched late)', () => {
    const life = new Life().write('2026-03-10T12:00Z', { createdAt: at('2026-03-09T09:00Z'), lastMessageAt: at('2026-03-09T09:00Z'), waitingSince: at('2026-03-09T09:00Z') })
    expect(life.breached.map((b) => [b.target, iso(b.at)])).toEqual([
      ['first_response', '2026-03-09T10:00:00.000Z'],
      ['resolution', '2026-03-09T17:00:00.000Z'],
    ])
  })

  it('pauses while pending or snoozed, keeping the business time left, and resumes when open again', () => {
    const life = new Life().begin('2026-03-09T09:00Z').write('2026-03-09T09:40Z', { status: 'pending' })
    expect(life.sla?.firstResponse).toMatchObject({ state: 'paused', dueAt: null, remainingMs: 20 * 60_000 })
    expect(slaNextDueAt(life.sla)).toBeNull()
    // Paused over the weekend: no breach, whatever the calendar says.
    life.write('2026-03-13T16:50Z', { status: 'snoozed' }).write('2026-03-16T11:00Z', { status: 'open' })
    expect(life.sla?.firstResponse).toMatchObject({ state: 'active', dueAt: at('2026-03-16T11:20Z'), remainingMs: null })
    expect(life.breached).toEqual([])
  })

  it('achieves the resolution when resolved, ends the response clocks, and starts it again on a reopen', () => {
    const life = new Life().begin('2026-03-09T09:00Z').write('2026-03-09T09:30Z', { status: 'resolved', waitingSince: null })
    expect(life.sla?.resolution?.state).toBe('achieved')
    expect(life.sla?.firstResponse).toBeNull()
    expect(slaUnmetDueAt(life.sla)).toBeNull()
    life.write('2026-03-10T09:00Z', { status: 'open' })
    expect(life.sla?.resolution).toMatchObject({ state: 'active', startedAt: at('2026-03-10T09:00Z'), dueAt: at('2026-03-10T17:00Z') })
  })

  it('starts the first response again for a conversation resolved unanswered that the customer reopens', () => {
    const life = new Life().begin('2026-03-09T09:00Z').write('2026-03-09T09:10Z', { status: 'resolved', waitingSince: null })
    expect(life.sla?.firstResponse).toBeNull()
    life.write('2026-03-10T10:00Z', { status: 'open', waitingSince: at('2026-03-10T10:00Z') })
    expect(life.sla?.firstResponse).toMatchObject({ state: 'active', startedAt: at('2026-03-10T10:00Z'), dueAt: at('2026-03-10T11:00Z') })
    expect(life.sla?.nextResponse).toBeNull()
  })

  it('gives a conversation an agent started no first response, and no clocks without a policy', () => {
    const time = at('2026-03-09T09:00Z')
    const started = nextSla({ policy: POLICY, hours: LONDON, previous: null, before: null, after: conversation({ createdAt: time, lastMessageAt: time }), humanReply: true, at: time })
    expect(started.sla?.firstResponse).toBeNull()
    expect(started.sla?.resolution?.state).toBe('active')
    expect(nextSla({ policy: null, hours: LONDON, previous: started.sla, before: null, after: conversation(), humanReply: false, at: time }).sla).toBeNull()
  })

  it('shows the breached clock first, then the one due soonest', () => {
    const life = new Life().begin('2026-03-09T09:00Z')
    expect(slaHeadline(life.sla)?.target).toBe('first_response')
    life.write('2026-03-09T10:30Z', { priority: 'high' })
    expect(slaHeadline(life.sla)).toMatchObject({ target: 'first_response', clock: { state: 'breached' } })
    expect(iso(slaUnmetDueAt(life.sla))).toBe('2026-03-09T10:00:00.000Z')
    expect(iso(slaNextDueAt(life.sla))).toBe('2026-03-09T17:00:00.000Z')
  })
})

describe('choosing the policy', () => {
  const policies = SlaPolicies.parse([
    { name: 'Default', resolutionMinutes: 2400 },
    { name: 'Urgent billing', teams: ['billing'], priorities: ['urgent'], firstResponseMinutes: 15 },
    { name: 'Support inbox', inboxes: ['Support'], firstResponseMinutes: 60 },
    { name: 'Urgent', priorities: ['urgent'], firstResponseMinutes: 30 },
  ])
  const pick = (c: Partial<Conversation>): string | undefined => slaPolicyFor(policies, conversation(c))?.name

  it('takes the most specific match: inbox before team before priority, the catch-all last', () => {
    expect(pick({ inbox: 'Support', team: 'billing', priority: 'urgent' })).toBe('Support inbox')
    expect(pick({ inbox: 'Sales', team: 'billing', priority: 'urgent' })).toBe('Urgent billing')
    expect(pick({ inbox: 'Sales', team: null, priority: 'urgent' })).toBe('Urgent')
    expect(pick({ inbox: 'Sales', team: 'billing', priority: 'low' })).toBe('Default')
    expect(slaPolicyFor([], conversation())).toBeNull()
  })

  it('rejects a policy an admin got wrong, saying what to change', () => {
    const problems = (input: unknown): string[] => SlaPolicies.safeParse(input).error?.issues.map((i) => i.message) ?? []
    expect(problems([{ name: 'Empty' }])).toEqual(['SLA policy "Empty" sets no target: give firstResponseMinutes, nextResponseMinutes or resolutionMinutes'])
    expect(problems([{ name: 'Half', firstResponseMinutes: 0.5 }])).toEqual(['firstResponseMinutes must be a whole number of business minutes'])
    expect(problems([{ name: 'X', resolutionMinutes: 1, priorities: ['asap'] }])).toEqual(["an SLA policy's priorities are low, normal, high, urgent"])
    expect(problems([{ name: 'X', resolutionMinutes: 1, inbox: ['a'] }])).toEqual(['an SLA policy has no "inbox"'])
    expect(problems([{ name: 'X', resolutionMinutes: 1 }, { name: 'X', firstResponseMinutes: 1 }])).toEqual(['SLA policy names must be unique'])
  })
})
