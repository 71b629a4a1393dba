import { describe, expect, it } from 'vitest'
import { CHANNELS } from '../../../../../shared/domain-values'
import { channelAt, stackVolume } from './volume-data'

const zero = { chat: 0, email: 0, sms: 0, whatsapp: 0, voice: 0 }
const volume = [
  { day: '2026-03-28', counts: { ...zero, email: 2, sms: 1 } },
  { day: '2026-03-29', counts: { ...zero, sms: 3 } },
]

describe('stackVolume', () => {
  it('stacks the channels with conversations, in the given order, day by day', () => {
    expect(stackVolume(volume, CHANNELS)).toEqual({
      channels: ['email', 'sms'],
      days: [Date.UTC(2026, 2, 28) / 1000, Date.UTC(2026, 2, 29) / 1000],
      tops: [
        [2, 0],
        [3, 3],
      ],
    })
  })
})

describe('channelAt', () => {
  const stack = stackVolume(volume, CHANNELS)

  it('finds the band a value falls in', () => {
    expect(channelAt(stack, 0, 0.5)).toBe('email')
    expect(channelAt(stack, 0, 2.5)).toBe('sms')
    expect(channelAt(stack, 1, 0.1)).toBe('sms')
  })

  it('finds none above the stack', () => {
    expect(channelAt(stack, 0, 3.2)).toBeNull()
  })
})
