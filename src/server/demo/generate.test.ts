import { describe, expect, it } from 'vitest'
import { InboundMessage } from '../../shared/ingest'
import { generateDemo } from './generate'

const NOW = Date.UTC(2026, 10, 1)

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
      } else {
        actions.set(step.action.name, (actions.get(step.action.name) ?? 0) + 1)
      }
    }
    expect([...channels].sort()).toEqual(['chat', 'email', 'sms', 'voice', 'whatsapp'])
    for (const name of ['reply', 'note', 'assign', 'setStatus', 'label']) expect(actions.get(name)).toBeGreaterThan(50)
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
})
