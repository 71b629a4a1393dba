import type { Hours } from './report-figures'

const CHOICES: { value: Hours; label: string }[] = [
  { value: 'calendar', label: 'Calendar hours' },
  { value: 'business', label: 'Business hours' },
]

/** Whether durations count every hour or only the inbox's business hours. */
export function HoursToggle({ hours, onChange }: { hours: Hours; onChange(next: Hours): void }) {
  return (
    <fieldset className="report-hours">
      <legend>Durations in</legend>
      {CHOICES.map((c) => (
        <label key={c.value} className="report-hours-choice">
          <input type="radio" name="report-hours" value={c.value} checked={hours === c.value} onChange={() => onChange(c.value)} />
          {c.label}
        </label>
      ))}
    </fieldset>
  )
}
