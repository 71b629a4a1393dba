import { useMemo, useState } from 'react'
import { Dialog } from '../../lib/Dialog'

export interface PickerOption {
  id: string
  label: string
  detail: string
}

/**
 * A filterable list to insert from (canned responses, agents to @mention): typing narrows it,
 * arrows move, Enter picks, Escape closes and focus goes back to the editor.
 */
export function InsertPicker({
  title,
  options,
  initialQuery = '',
  onPick,
  onClose,
}: {
  title: string
  options: PickerOption[]
  initialQuery?: string
  onPick(option: PickerOption): void
  onClose(): void
}) {
  const [query, setQuery] = useState(initialQuery)
  const [active, setActive] = useState(0)
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase()
    return q ? options.filter((o) => o.label.toLowerCase().includes(q) || o.detail.toLowerCase().includes(q)) : options
  }, [options, query])
  const current = shown[Math.min(active, shown.length - 1)]

  return (
    <Dialog title={title} onClose={onClose} className="insert-picker">
      <input
        type="search"
        className="insert-picker-filter"
        aria-label={`Filter ${title.toLowerCase()}`}
        value={query}
        onChange={(e) => {
          setQuery(e.target.value)
          setActive(0)
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
            e.preventDefault()
            const step = e.key === 'ArrowDown' ? 1 : -1
            setActive((a) => (shown.length ? (a + step + shown.length) % shown.length : 0))
          } else if (e.key === 'Enter' && current) {
            e.preventDefault()
            onPick(current)
          }
        }}
      />
      <ul className="insert-picker-list" role="listbox" aria-label={title}>
        {shown.map((o) => (
          <li key={o.id} role="option" aria-selected={o === current} className={o === current ? 'is-active' : undefined} onMouseDown={(e) => e.preventDefault()} onClick={() => onPick(o)}>
            <span className="insert-picker-label">{o.label}</span>
            <span className="insert-picker-detail">{o.detail}</span>
          </li>
        ))}
        {shown.length === 0 && <li className="empty">Nothing matches “{query}”.</li>}
      </ul>
    </Dialog>
  )
}
