import { useEffect, useRef, useState } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { CHANNELS } from '../../../../../shared/domain-values'
import type { ReportFigures } from '../../../../../shared/ipc'
import { drillKey } from '../../../../../shared/reporting/metrics'
import { CHANNEL_LABELS } from '../../../lib/format'
import { channelColor, cssColor, reportDay } from './chart-colors'
import type { OpenDrill } from './FigureButton'
import { count } from './report-format'
import { channelAt, stackVolume, type StackedVolume } from './volume-data'

const HEIGHT = 220
const tickDay = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' })
const HALF_DAY_S = 43_200
const DAY_S = 2 * HALF_DAY_S
const DAY_STEPS = [1, 2, 7, 14, 28, 56, 91].map((days) => days * DAY_S)

function chartOptions(stack: StackedVolume, width: number, onHover: (index: number | null) => void): uPlot.Options {
  const bars = uPlot.paths.bars!({ size: [0.7, 48] })
  const axisColor = cssColor('--text-3', '#8a8d98')
  const grid = { stroke: cssColor('--border', '#e6e6ea'), width: 1 }
  // uPlot paints series in order with no stacking of its own: the tallest (all channels) goes
  // first and each lower band over it, so every band shows its own channel's share.
  const topFirst = stack.channels.map((_, c) => c).reverse()
  return {
    width,
    height: HEIGHT,
    legend: { show: false },
    // The days are the report zone's dates, encoded at UTC midnight: read them back in UTC.
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    cursor: { points: { show: false }, drag: { x: false, y: false } },
    scales: {
      x: { time: true, range: (_u, min, max) => [min - HALF_DAY_S, max + HALF_DAY_S] },
      y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.1))] },
    },
    axes: [
      // Whole days only: a tick at noon would repeat its day's label.
      { stroke: axisColor, grid: { show: false }, ticks: { show: false }, space: 60, incrs: DAY_STEPS, values: (_u, splits) => splits.map((s) => tickDay.format(s * 1000)) },
      { stroke: axisColor, grid, ticks: { show: false }, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000], values: (_u, splits) => splits.map(count) },
    ],
    series: [
      {},
      ...topFirst.map((c) => {
        const color = channelColor(stack.channels[c]!)
        return { label: CHANNEL_LABELS[stack.channels[c]!], stroke: color, fill: color, width: 0, paths: bars, points: { show: false } }
      }),
    ],
    hooks: { setCursor: [(u) => onHover(u.cursor.idx ?? null)] },
  }
}

/**
 * Conversations created per day, one stacked band per channel (uPlot: a year of days draws in a
 * frame). A click on a band opens that day's conversations on that channel.
 */
export function VolumeChart({ volume, onDrill }: { volume: ReportFigures['volume']; onDrill: OpenDrill }) {
  const box = useRef<HTMLDivElement>(null)
  const drill = useRef(onDrill)
  const [hovered, setHovered] = useState<number | null>(null)
  useEffect(() => {
    drill.current = onDrill
  })

  useEffect(() => {
    const el = box.current
    if (!el) return
    const stack = stackVolume(volume, CHANNELS)
    const topFirst = [...stack.tops].reverse()
    const chart = new uPlot(chartOptions(stack, el.clientWidth, setHovered), [stack.days, ...topFirst], el)
    function openBand(): void {
      const { idx, top } = chart.cursor
      if (idx === null || idx === undefined || top === undefined || top < 0) return
      const channel = channelAt(stack, idx, chart.posToVal(top, 'y'))
      const day = volume[idx]?.day
      if (!channel || !day) return
      drill.current({ key: drillKey.volume(day, channel), title: `${CHANNEL_LABELS[channel]}, ${reportDay(day)}` })
    }
    chart.over.addEventListener('click', openBand)
    const resized = new ResizeObserver(() => chart.setSize({ width: el.clientWidth, height: HEIGHT }))
    resized.observe(el)
    return () => {
      resized.disconnect()
      chart.over.removeEventListener('click', openBand)
      chart.destroy()
    }
  }, [volume])

  const day = hovered === null ? null : volume[hovered]
  return (
    <>
      <p className="report-chart-readout" aria-hidden="true">
        {day
          ? `${reportDay(day.day)}: ${CHANNELS.filter((c) => day.counts[c] > 0)
              .map((c) => `${CHANNEL_LABELS[c]} ${count(day.counts[c])}`)
              .join(', ') || 'none'}`
          : ' '}
      </p>
      <div ref={box} className="report-volume-chart" aria-hidden="true" />
    </>
  )
}
