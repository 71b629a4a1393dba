import { describe, expect, it } from 'vitest'
import { fillCannedVariables, unfilledPlaceholders } from './canned'

const context = { customer: { name: 'Maya' }, agent: { name: 'Alex Morgan' }, conversation: { subject: 'Order #4411', inbox: 'Support email' } }

describe('fillCannedVariables', () => {
  it('fills customer, agent and conversation variables, with or without spaces inside the braces', () => {
    expect(fillCannedVariables('Hi {{customer.name}}, about "{{ conversation.subject }}".\n{{agent.name}}', context)).toBe(
      'Hi Maya, about "Order #4411".\nAlex Morgan',
    )
  })

  it('leaves unknown variables and missing values visible instead of blank', () => {
    expect(fillCannedVariables('Order {{order.id}} for {{customer.email}}', context)).toBe('Order {{order.id}} for {{customer.email}}')
    expect(fillCannedVariables('Re: {{conversation.subject}}', { ...context, conversation: { subject: null, inbox: 'SMS' } })).toBe('Re: {{conversation.subject}}')
    expect(fillCannedVariables('Hi {{customer.name}}', { ...context, customer: { name: '  ' } })).toBe('Hi {{customer.name}}')
  })

  it('does not re-expand braces that come from a value', () => {
    expect(fillCannedVariables('{{customer.name}} {{agent.name}}', { ...context, customer: { name: '{{agent.name}}' } })).toBe('{{agent.name}} Alex Morgan')
  })

  it('fills first and full names and the inbox', () => {
    const vallie = { ...context, customer: { name: 'Vallie  Blick' }, conversation: { subject: null, inbox: 'SMS' } }
    expect(fillCannedVariables('Hi {{customer.firstName}} ({{customer.fullName}}), {{agent.firstName}} from {{conversation.inbox}}', vallie)).toBe(
      'Hi Vallie (Vallie  Blick), Alex from SMS',
    )
  })
})

describe('unfilledPlaceholders', () => {
  it('names every placeholder left in a reply once, known or not', () => {
    expect(unfilledPlaceholders('Hi Vallie, about "{{conversation.subject}}" and {{ order.id }}; {{conversation.subject}}')).toEqual([
      '{{conversation.subject}}',
      '{{ order.id }}',
    ])
    expect(unfilledPlaceholders('A reply with {braces} and a lone {{ is fine')).toEqual([])
  })
})
