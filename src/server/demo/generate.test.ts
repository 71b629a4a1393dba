import { Faker, en } from '@faker-js/faker'
import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import type { Channel } from '../../shared/domain'
import { InboundMessage } from '../../shared/ingest'
import { isWithinBusinessHours } from '../../shared/reporting/business-hours'
import { DemoClock } from './clock'
import { DEMO_AGENTS, generateDemo, type DemoStep } from './generate'
import { bankHolidays, demoBusinessHours } from './hours'

const NOW = Date.UTC(2026, 10, 1)
const HOURS = demoBusinessHours(NOW)
const london = (iso: string): number => DateTime.fromISO(iso, { zone: 'Europe/London' }).toMillis()
const timeOf = (step: DemoStep): number => (step.kind === 'inbound' ? step.item.sentAt! : step.at)

describe('generateDemo', () => {
  it('gives the same history for the same seed and a different one for another seed', () => {
    const a = [...generateDemo({ seed: 7, customers: 20, now: NOW })]
    const b = [...generateDemo({ seed: 7, customers: 20, now: NOW })]
    const c = [...generateDemo({ seed: 8, customers: 20, now: NOW })]
    expect(a).toEqual(b)
    expect(c).not.toEqual(a)
  })

  it('produces valid inbound items over every channel, with replies, notes, assignments and resolutions', () => {
    const steps = [...generateDemo({ seed: 1, customers: 200, now: NOW })]
    const channels = new Set<string>()
    const actions = new Map<string, number>()
    for (const step of steps) {
      if (step.kind === 'inbound') {
        expect(() => InboundMessage.parse(step.item)).not.toThrow()
        expect(step.item.sentAt).toBeLessThanOrEqual(NOW)
        channels.add(step.item.channel)
      } else if (step.kind === 'action') {
        actions.set(step.action.name, (actions.get(step.action.name) ?? 0) + 1)
      }
    }
    expect([...channels].sort()).toEqual(['chat', 'email', 'sms', 'voice', 'whatsapp'])
    for (const name of ['reply', 'note', 'assign', 'setStatus', 'label']) expect(actions.get(name)).toBeGreaterThan(50)
  })

  it('has customers rate some resolved conversations, by a digit where they text', () => {
    const steps = [...generateDemo({ seed: 1, customers: 200, now: NOW })]
    const ratings = steps.flatMap((s) => (s.kind === 'rating' ? [s] : []))
    const resolutions = steps.filter((s) => s.kind === 'action' && s.action.name === 'setStatus' && s.action.status === 'resolved')
    expect(ratings.length / resolutions.length).toBeGreaterThan(0.25)
    expect(ratings.length / resolutions.length).toBeLessThan(0.6)
    expect(new Set(ratings.map((r) => r.rating))).toEqual(new Set([1, 2, 3, 4, 5]))
    for (const r of ratings) {
      expect(r.at).toBeLessThanOrEqual(NOW)
      if (r.reply) {
        expect(['sms', 'whatsapp']).toContain(r.reply.channel)
        expect(r.reply.text).toBe(String(r.rating))
      }
    }
    expect(ratings.some((r) => r.reply !== null)).toBe(true)
  })

  it('keeps each conversation in time order and starts it with the customer', () => {
    const seen = new Map<string, number>()
    for (const step of generateDemo({ seed: 3, customers: 50, now: NOW })) {
      const at = step.kind === 'inbound' ? step.item.sentAt! : step.at
      if (!seen.has(step.thread)) expect(step.kind).toBe('inbound')
      expect(at).toBeGreaterThanOrEqual(seen.get(step.thread) ?? 0)
      seen.set(step.thread, at)
    }
  })

  it('leaves part of the queue open and resolves the rest', () => {
    const lastStatus = new Map<string, string>()
    for (const step of generateDemo({ seed: 1, customers: 200, now: NOW })) {
      if (step.kind === 'inbound' && !lastStatus.has(step.thread)) lastStatus.set(step.thread, 'open')
      if (step.kind === 'action' && step.action.name === 'setStatus') lastStatus.set(step.thread, step.action.status)
    }
    const statuses = [...lastStatus.values()]
    const unresolved = statuses.filter((s) => s !== 'resolved').length
    expect(unresolved / statuses.length).toBeGreaterThan(0.05)
    expect(unresolved / statuses.length).toBeLessThan(0.3)
  })

  it('uses several channels for most customers', () => {
    const channelsOf = new Map<string, Set<string>>()
    for (const step of generateDemo({ seed: 1, customers: 200, now: NOW })) {
      if (step.kind !== 'inbound') continue
      const customer = step.thread.split('-')[0]!
      const set = channelsOf.get(customer) ?? new Set()
      set.add(step.item.channel)
      channelsOf.set(customer, set)
    }
    const multi = [...channelsOf.values()].filter((s) => s.size >= 2).length
    expect(channelsOf.size).toBe(200)
    expect(multi / channelsOf.size).toBeGreaterThan(0.7)
  })

  it('has agents answer in their inbox\'s business hours, and customers write outside them now and then', () => {
    const inboxOf = new Map<string, Channel>()
    let openings = 0
    let openingsAfterHours = 0
    let replies = 0
    let repliesInHours = 0
    for (const step of generateDemo({ seed: 1, customers: 200, now: NOW })) {
      if (step.kind === 'inbound' && !inboxOf.has(step.thread)) {
        inboxOf.set(step.thread, step.item.channel)
        openings++
        if (!isWithinBusinessHours(HOURS[step.item.channel], timeOf(step))) openingsAfterHours++
      }
      if (step.kind === 'action' && step.action.name === 'reply') {
        replies++
        if (isWithinBusinessHours(HOURS[inboxOf.get(step.thread)!], step.at)) repliesInHours++
      }
    }
    expect(openingsAfterHours / openings).toBeGreaterThan(0.15)
    expect(openingsAfterHours / openings).toBeLessThan(0.3)
    expect(repliesInHours / replies).toBeGreaterThan(0.9)
  })

  it('has customers write again after a resolution, and carry an email or chat on by text', () => {
    const resolved = new Set<string>()
    const channelOf = new Map<string, Channel>()
    const reopened = new Set<string>()
    const switched = new Map<string, string>()
    for (const step of generateDemo({ seed: 1, customers: 200, now: NOW })) {
      if (step.kind === 'rating') continue
      if (step.kind === 'action') {
        if (step.action.name === 'setStatus' && step.action.status === 'resolved') resolved.add(step.thread)
        continue
      }
      if (resolved.has(step.thread)) reopened.add(step.thread)
      const before = channelOf.get(step.thread)
      if (before && before !== step.item.channel) switched.set(step.thread, `${before}>${step.item.channel}`)
      channelOf.set(step.thread, step.item.channel)
    }
    expect(reopened.size / resolved.size).toBeGreaterThan(0.05)
    expect(reopened.size / resolved.size).toBeLessThan(0.2)
    const paths = new Set(switched.values())
    expect(switched.size).toBeGreaterThan(15)
    expect([...paths].every((p) => /^(email|chat)>(sms|whatsapp)$/.test(p))).toBe(true)
    expect([...paths].some((p) => p.startsWith('email>'))).toBe(true)
  })

  it('has a supervisor who answers nothing, and only agents answering', () => {
    expect(DEMO_AGENTS.find((a) => a.role === 'supervisor')).toMatchObject({ email: 'sam@threadline.demo', team: 'Support' })
    const answering = new Set<string>()
    for (const step of generateDemo({ seed: 2, customers: 100, now: NOW })) if (step.kind === 'action') answering.add(step.agentEmail)
    const roles = new Set([...answering].map((email) => DEMO_AGENTS.find((a) => a.email === email)?.role))
    expect([...roles]).toEqual(['agent'])
  })
})

describe('the demo team\'s hours', () => {
  it('close on the bank holidays of England and Wales, a weekend one moved to the next weekday', () => {
    expect(bankHolidays(2025)).toEqual(['2025-01-01', '2025-04-18', '2025-04-21', '2025-05-05', '2025-05-26', '2025-08-25', '2025-12-25', '2025-12-26'])
    expect(bankHolidays(2026)).toEqual(['2026-01-01', '2026-04-03', '2026-04-06', '2026-05-04', '2026-05-25', '2026-08-31', '2026-12-25', '2026-12-28'])
    expect(bankHolidays(2027)).toEqual(['2027-01-01', '2027-03-26', '2027-03-29', '2027-05-03', '2027-05-31', '2027-08-30', '2027-12-27', '2027-12-28'])
  })

  it('keep a customer writing at 22:00 on a Friday waiting until Monday morning, and longer over a bank holiday', () => {
    const clock = new DemoClock(HOURS.email, NOW - 92 * 86_400_000, NOW)
    expect(clock.afterBusiness(london('2026-10-09T22:00'), 30 * 60_000)).toBe(london('2026-10-12T08:30'))
    expect(clock.afterBusiness(london('2026-10-12T17:30'), 60 * 60_000)).toBe(london('2026-10-13T08:30'))
    // Across the clocks going back (25 October) the office still opens at 08:00 London time.
    expect(clock.afterBusiness(london('2026-10-23T18:00'), 0)).toBe(london('2026-10-26T08:00'))
    const easter = new DemoClock(HOURS.email, Date.UTC(2026, 2, 1), Date.UTC(2026, 4, 1))
    expect(easter.afterBusiness(london('2026-04-02T19:00'), 15 * 60_000)).toBe(london('2026-04-07T08:15'))
    expect(clock.afterBusiness(NOW - 60_000, 120 * 60_000)).toBeNull()
  })

  it('have customers write mostly while the team is in', () => {
    const clock = new DemoClock(HOURS.sms, NOW - 92 * 86_400_000, NOW)
    const f = new Faker({ locale: [en] })
    f.seed(5)
    let inHours = 0
    for (let i = 0; i < 2_000; i++) {
      const at = clock.customerMoment(f, NOW - 60 * 86_400_000, NOW - 30 * 86_400_000)
      expect(at).toBeGreaterThanOrEqual(NOW - 60 * 86_400_000)
      expect(at).toBeLessThanOrEqual(NOW - 30 * 86_400_000)
      if (clock.isOpen(at)) inHours++
    }
    // The SMS inbox is open 40 of the week's 168 hours.
    expect(inHours / 2_000).toBeGreaterThan(0.6)
    expect(inHours / 2_000).toBeLessThan(0.85)
  })
})
