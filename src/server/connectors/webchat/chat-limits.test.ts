import { describe, expect, it } from 'vitest'
import { ChatLimits, networkOf, WebchatRateLimits } from './chat-limits'

describe('networkOf', () => {
  it('counts IPv4 by address and IPv6 by its /64', () => {
    expect(networkOf('203.0.113.7')).toBe('203.0.113.7')
    expect(networkOf('::ffff:203.0.113.7')).toBe('203.0.113.7')
    expect(networkOf('2001:db8:0a:1:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:a:1::/64')
    expect(networkOf('2001:DB8:a:1::2')).toBe('2001:db8:a:1::/64')
    expect(networkOf('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(networkOf('::1')).toBe('0:0:0:0::/64')
  })
})

describe('WebchatRateLimits', () => {
  it('fills in every limit not given, and refuses a limit that cannot work or is misspelt', () => {
    const limits = WebchatRateLimits.parse({ visitorBurst: { max: 3, perSeconds: 5 } })
    expect(limits).toEqual({
      visitorEvents: { max: 60, perSeconds: 10 },
      visitorBurst: { max: 3, perSeconds: 5 },
      visitorMessages: { max: 60, perSeconds: 60 },
      addressConnections: { max: 120, perSeconds: 60 },
      addressNewVisitors: { max: 20, perSeconds: 600 },
      inboxMessages: { max: 600, perSeconds: 60 },
      inboxNewVisitors: { max: 600, perSeconds: 60 },
    })
    expect(() => WebchatRateLimits.parse({ visitorBurst: { max: 0, perSeconds: 5 } })).toThrow(/max must be at least 1/)
    expect(() => WebchatRateLimits.parse({ visitorBrust: { max: 3, perSeconds: 5 } })).toThrow(/visitorBrust/)
  })
})

describe('ChatLimits', () => {
  it('counts returning visitors against the address’s connections only, new ones against the new-visitor limits too', () => {
    const limits = new ChatLimits(
      WebchatRateLimits.parse({ addressConnections: { max: 4, perSeconds: 60 }, addressNewVisitors: { max: 2, perSeconds: 60 } }),
    )
    limits.admitConnection('198.51.100.1', true, 0)
    limits.admitConnection('198.51.100.1', true, 1)
    expect(() => limits.admitConnection('198.51.100.1', true, 2)).toThrow('Too many new chats from your network; try again in 60 seconds.')
    limits.admitConnection('198.51.100.1', false, 3)
    limits.admitConnection('198.51.100.2', true, 4)
    limits.admitConnection('198.51.100.1', false, 5)
    expect(() => limits.admitConnection('198.51.100.1', false, 6)).toThrow(/^Too many chat connections from your network/)
  })

  it('caps every kind of event of one visitor, so typing notices cannot flood the agents', () => {
    const limits = new ChatLimits(WebchatRateLimits.parse({}))
    for (let i = 0; i < 60; i++) limits.admitEvent('v1', i)
    expect(() => limits.admitEvent('v1', 100)).toThrow(/^You are doing that too often; try again in \d+ seconds?\.$/)
    limits.admitEvent('v2', 100)
    limits.admitEvent('v1', 10_001)
  })
})
