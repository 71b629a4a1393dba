import { describe, expect, it } from 'vitest'
import type { Identity } from '../../shared/domain'
import { customerSnippet, formatPhone } from './customer-snippet'

const identity = (kind: Identity['kind'], address: string): Identity => ({ id: address, customerId: 'c1', kind, address, displayName: null, createdAt: 1 })

const zoe = [
  identity('phone', '+14086021953'),
  identity('chat', 'visitor-8f3a2c'),
  identity('email', 'zoe.ebert23@outlook.com'),
  identity('whatsapp', '+14086021953'),
]
const text = (parts: ReturnType<typeof customerSnippet>) => parts.map((p) => p.text).join('')
const marked = (parts: ReturnType<typeof customerSnippet>) => parts.filter((p) => p.match).map((p) => p.text)

describe('customerSnippet', () => {
  it('shows the email and the phone number as people write them, each once, and no chat visitor id or search digits', () => {
    expect(text(customerSnippet(zoe, 'zoe'))).toBe('zoe.ebert23@outlook.com · +1 408 602 1953')
  })

  it('marks the part of an email the search matched', () => {
    expect(marked(customerSnippet(zoe, 'Ebert outl'))).toEqual(['ebert', 'outl'])
  })

  it('marks a phone number found by its last digits as a whole', () => {
    expect(marked(customerSnippet(zoe, '6021953'))).toEqual(['+1 408 602 1953'])
    expect(marked(customerSnippet(zoe, '408602'))).toEqual(['+1 408 602 1953'])
    expect(marked(customerSnippet(zoe, '999'))).toEqual([])
  })

  it('is empty for a customer known only by a chat visitor id', () => {
    expect(customerSnippet([identity('chat', 'visitor-1')], 'maya')).toEqual([])
  })
})

describe('formatPhone', () => {
  it('groups the digits as written in the number’s country, and keeps what does not parse', () => {
    expect(formatPhone('+4915112345678')).toBe('+49 1511 2345678')
    expect(formatPhone('12345')).toBe('12345')
  })
})
