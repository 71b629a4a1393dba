import { describe, expect, it } from 'vitest'
import { defaultSubject, invalidCc, parameterContext, parseCc, parseDuration } from './composer-fields'

describe('composer fields', () => {
  it('defaults the subject to Re: the conversation subject, without stacking', () => {
    expect(defaultSubject('Order 5')).toBe('Re: Order 5')
    expect(defaultSubject('RE: Order 5')).toBe('RE: Order 5')
    expect(defaultSubject(null)).toBe('')
  })

  it('splits cc addresses and names the first one that is not an address', () => {
    const cc = parseCc(' a@x.test, b@y.test;c@z.test  ')
    expect(cc).toEqual(['a@x.test', 'b@y.test', 'c@z.test'])
    expect(invalidCc(cc)).toBeNull()
    expect(invalidCc(parseCc('a@x.test, bob'))).toBe('bob')
    expect(parseCc('')).toEqual([])
  })

  it('reads durations as mm:ss or minutes and refuses anything else', () => {
    expect(parseDuration('2:05')).toBe(125)
    expect(parseDuration('12')).toBe(720)
    expect(parseDuration('0:00')).toBe(0)
    expect(parseDuration('1:75')).toBeNull()
    expect(parseDuration('abc')).toBeNull()
    expect(parseDuration('')).toBeNull()
  })

  it('shows a WhatsApp template parameter with the template text around it', () => {
    const body = 'Hi {{1}}, your order {{2}} is on its way and should reach you within two working days.'
    expect(parameterContext(body, 1)).toBe('Hi {{1}}, your order {{2}} is on its way and…')
    expect(parameterContext(body, 2)).toBe('Hi {{1}}, your order {{2}} is on its way and should reach you…')
    expect(parameterContext('Hi {{1}}, your order {{2}} is on its way.', 1)).toBe('Hi {{1}}, your order {{2}} is on its way.')
    expect(parameterContext(`${'Thank you for shopping with us today, '.repeat(2)}{{1}}`, 1)).toBe('…Thank you for shopping with us today, {{1}}')
    expect(parameterContext('Your code is {{1}}', 1)).toBe('Your code is {{1}}')
    expect(parameterContext('No parameters here', 1)).toBeNull()
  })
})
