import { useMemo, useState, type CSSProperties } from 'react'
import { Dialog } from '../../lib/Dialog'

export interface PickerOption {
  id: string
  label: string
  detail: string
}

/** Where the caret is on screen, as ProseMirror's coordsAtPos gives it. */
export interface CaretBox {
  left: number
  top: number
  bottom: number
}

/** Room kept between the caret and the list, and between the list and the window's edge. */
const GAP = 6
const ANCHORED_WIDTH = 320

/**
 * The list beside the caret: below it when there is room, otherwise above (the composer sits
 * at the bottom of the window), and never past the window's edges.
 */
export function anchoredStyle(caret: CaretBox, viewport: { width: number; height: number }): CSSProperties {
  const width = Math.min(ANCHORED_WIDTH, viewport.width - 2 * GAP)
  const left = Math.max(GAP, Math.min(caret.left, viewport.width - width - GAP))
  const below = caret.bottom < viewport.height / 2
  const vertical = below ? { top: caret.bottom + GAP, maxHeight: viewport.height - caret.bottom - 2 * GAP } : { bottom: viewport.height - caret.top + GAP, maxHeight: caret.top - 2 * GAP }
  return { position: 'fixed', left, width, ...vertical }
}

/**
 * A filterable list to insert from (canned responses, agents to @mention): typing narrows it,
 * arrows move, Enter picks, Escape closes and focus goes back to the editor.
 */
export function InsertPicker({
  title,
  options,
  initialQuery = '',
  caret = null,
  onPick,
  onClose,
  returnFocus,
}: {
  title: string
  options: PickerOption[]
  initialQuery?: string
  /** Opens beside this caret instead of in the middle of the window. */
  caret?: CaretBox | null
  onPick(option: PickerOption): void
  onClose(): void
  /** Puts the editor's caret back when the picker closes (see Dialog). */
  returnFocus?: () => void
}) {
  const [query, setQuery] = useState(initialQuery)
  const [active, setActive] = useState(0)
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase()
    return q ? options.filter((o) => o.label.toLowerCase().includes(q) || o.detail.toLowerCase().includes(q)) : options
  }, [options, query])
  const current = shown[Math.min(active, shown.length - 1)]

  return (
    <Dialog
      title={title}
      onClose={onClose}
      returnFocus={returnFocus}
      className="insert-picker"
      style={caret ? anchoredStyle(caret, { width: window.innerWidth, height: window.innerHeight }) : undefined}
    >
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
