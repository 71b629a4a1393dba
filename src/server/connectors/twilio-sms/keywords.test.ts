import { describe, expect, it } from 'vitest'
import { smsKeyword } from './keywords'

describe('smsKeyword', () => {
  it('recognizes every opt-out, opt-in and help keyword whatever the case and spacing', () => {
    for (const w of ['STOP', 'stop', ' Stop ', 'STOPALL', 'unsubscribe', 'Cancel', 'END', 'quit', 'Stop.']) expect(smsKeyword(w)).toBe('stop')
    for (const w of ['START', 'unstop', 'Start!']) expect(smsKeyword(w)).toBe('start')
    expect(smsKeyword('help')).toBe('help')
  })

  it('leaves sentences that merely contain a keyword alone', () => {
    for (const w of ['please stop the delivery', 'STOP IT', 'help me', 'started', '', 'ended?']) expect(smsKeyword(w)).toBeNull()
  })
})
