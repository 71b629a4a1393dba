import { HeatmapChart, type HeatmapSeriesOption } from 'echarts/charts'
import { GridComponent, TooltipComponent, VisualMapComponent, type GridComponentOption, type TooltipComponentOption, type VisualMapComponentOption } from 'echarts/components'
import { init, use as install, type ComposeOption, type ECElementEvent } from 'echarts/core'
import { CanvasRenderer } from 'echarts/renderers'
import { useEffect, useRef } from 'react'
import type { ReportFigures } from '../../../../../shared/ipc'
import { drillKey } from '../../../../../shared/reporting/metrics'
import { cssColor } from './chart-colors'
import type { OpenDrill } from './FigureButton'
import { HOURS, hourSpan, WEEKDAYS } from './heat-labels'
import { plural } from './report-format'

// Only what a heat map needs, drawn on canvas: the full build, and the SVG renderer's style attributes, stay out.
install([HeatmapChart, GridComponent, TooltipComponent, VisualMapComponent, CanvasRenderer])

type HeatOption = ComposeOption<HeatmapSeriesOption | GridComponentOption | TooltipComponentOption | VisualMapComponentOption>

/** [hour, weekday row (0 Monday), count] as ECharts places a heat-map cell. */
type Cell = [number, number, number]

function heatOption(heat: ReportFigures['heat']): HeatOption {
  const cells: Cell[] = heat.flatMap((row, w) => row.hours.map((n, hour): Cell => [hour, w, n]))
  const most = Math.max(1, ...cells.map((c) => c[2]))
  const text = cssColor('--text-2', '#5c5f6a')
  return {
    animation: false,
    grid: { left: 44, right: 12, top: 8, bottom: 52 },
    xAxis: { type: 'category', data: HOURS.map((h) => String(h).padStart(2, '0')), splitArea: { show: true }, axisLabel: { color: text }, axisTick: { show: false } },
    yAxis: { type: 'category', data: WEEKDAYS.map((d) => d.short), inverse: true, splitArea: { show: true }, axisLabel: { color: text }, axisTick: { show: false } },
    visualMap: {
      min: 0,
      max: most,
      calculable: false,
      orient: 'horizontal',
      left: 'center',
      bottom: 0,
      itemHeight: 120,
      textStyle: { color: text },
      inRange: { color: [cssColor('--accent-soft', '#eef0fd'), cssColor('--accent', '#4f5bd5')] },
    },
    // Drawn on the canvas: an HTML tooltip writes style attributes the page's policy refuses.
    tooltip: {
      renderMode: 'richText',
      formatter: (p) => {
        const [hour, w, n] = (Array.isArray(p) ? p[0]! : p).data as Cell
        return `${WEEKDAYS[w]!.long}, ${hourSpan(hour)}\n${plural(n, 'conversation')}`
      },
    },
    series: [{ type: 'heatmap', data: cells, cursor: 'pointer', emphasis: { itemStyle: { borderColor: cssColor('--text', '#1c1d22'), borderWidth: 1 } } }],
  }
}

/** Conversations created per weekday and hour (ECharts heat map); a click on a cell opens its conversations. */
export function HeatMapChart({ heat, onDrill }: { heat: ReportFigures['heat']; onDrill: OpenDrill }) {
  const box = useRef<HTMLDivElement>(null)
  const drill = useRef(onDrill)
  useEffect(() => {
    drill.current = onDrill
  })

  useEffect(() => {
    const el = box.current
    if (!el) return
    const chart = init(el, undefined, { renderer: 'canvas' })
    chart.setOption(heatOption(heat))
    chart.on('click', (event: ECElementEvent) => {
      const [hour, w, n] = event.data as Cell
      if (n === 0) return
      drill.current({ key: drillKey.heat(w + 1, hour), title: `${WEEKDAYS[w]!.long}, ${hourSpan(hour)}` })
    })
    const resized = new ResizeObserver(() => chart.resize())
    resized.observe(el)
    return () => {
      resized.disconnect()
      chart.dispose()
    }
  }, [heat])

  return <div ref={box} className="report-heat-chart" aria-hidden="true" />
}
