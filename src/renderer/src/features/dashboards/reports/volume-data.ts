import type { Channel } from '../../../../../shared/domain'
import type { ReportFigures } from '../../../../../shared/ipc'

/**
 * The volume chart's columns: per day, each channel's count stacked on those before it. uPlot
 * draws series as given and has no stacking of its own, so the tops are summed here.
 */
export interface StackedVolume {
  /** The channels drawn, bottom first: those with a conversation in the range. */
  channels: Channel[]
  /** Each day's local midnight read as UTC, in seconds: the axis shows the report's own days whatever zone draws it. */
  days: number[]
  /** Per channel, per day: the top of its band, the channel's count plus those below it. */
  tops: number[][]
}

export function stackVolume(volume: ReportFigures['volume'], order: readonly Channel[]): StackedVolume {
  const channels = order.filter((channel) => volume.some((d) => d.counts[channel] > 0))
  const days = volume.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000)
  const below = volume.map(() => 0)
  const tops = channels.map((channel) =>
    volume.map((d, i) => {
      below[i] = below[i]! + d.counts[channel]
      return below[i]!
    }),
  )
  return { channels, days, tops }
}

/** The channel whose band holds `value` on day `index`, or null above the stack or on an empty band. */
export function channelAt(stack: StackedVolume, index: number, value: number): Channel | null {
  let bottom = 0
  for (let c = 0; c < stack.channels.length; c++) {
    const top = stack.tops[c]![index] ?? 0
    if (value >= bottom && value < top) return stack.channels[c]!
    bottom = top
  }
  return null
}
