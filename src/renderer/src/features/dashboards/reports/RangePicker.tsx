import { REPORT_PRESET_IDS, REPORT_PRESETS, type ReportPreset, type ReportRange } from '../../../../../shared/reporting/report-query'
import { rangeDays, type RangeChoice } from './report-range'

const CUSTOM = 'custom'

/** A preset span, or whole days picked from one date to another; both read in the viewer's zone, which it names. */
export function RangePicker({
  choice,
  range,
  timeZone,
  onChange,
}: {
  choice: RangeChoice
  /** What the choice covers now, to start a custom range from; null while the custom dates cover nothing. */
  range: ReportRange | null
  timeZone: string
  onChange(next: RangeChoice): void
}) {
  const custom = 'preset' in choice ? null : choice
  const picked = 'preset' in choice ? choice.preset : CUSTOM
  return (
    <div className="report-range" role="group" aria-label="Date range">
      <label className="report-field">
        <span>Range</span>
        <select
          value={picked}
          onChange={(e) => {
            const value = e.target.value
            if (value !== CUSTOM) onChange({ preset: value as ReportPreset })
            else if (range) onChange(rangeDays(range, timeZone))
          }}
        >
          {REPORT_PRESET_IDS.map((id) => (
            <option key={id} value={id}>
              {REPORT_PRESETS[id].label}
            </option>
          ))}
          <option value={CUSTOM}>Custom dates</option>
        </select>
      </label>
      {custom && (
        <>
          <label className="report-field">
            <span>From</span>
            <input type="date" value={custom.from} max={custom.to || undefined} onChange={(e) => onChange({ ...custom, from: e.target.value })} />
          </label>
          <label className="report-field">
            <span>To</span>
            <input type="date" value={custom.to} min={custom.from || undefined} onChange={(e) => onChange({ ...custom, to: e.target.value })} />
          </label>
        </>
      )}
      <p className="report-zone">Times in {timeZone}</p>
    </div>
  )
}
