import { useEffect, useId, useRef, useState, type FormEvent } from 'react'

export interface FilterOption {
  value: string
  label: string
}

/** "All", the one chosen, or the first two and how many more. */
function summary(chosen: readonly string[], labelOf: (value: string) => string): string {
  if (chosen.length === 0) return 'All'
  if (chosen.length <= 2) return chosen.map(labelOf).join(', ')
  return `${chosen.slice(0, 2).map(labelOf).join(', ')} +${chosen.length - 2}`
}

/**
 * A filter of several values: a button saying what is chosen opens a list of checkboxes. None
 * checked means every value. `typed` lets values not in the list be added by name (labels).
 */
export function FilterMenu({
  name,
  options,
  chosen,
  onChange,
  typed,
}: {
  name: string
  options: readonly FilterOption[]
  chosen: readonly string[]
  onChange(next: string[]): void
  typed?: { placeholder: string }
}) {
  const [open, setOpen] = useState(false)
  const [draft, setDraft] = useState('')
  const panelId = useId()
  const root = useRef<HTMLDivElement>(null)
  const toggle = useRef<HTMLButtonElement>(null)
  const known = new Map(options.map((o) => [o.value, o.label]))
  const labelOf = (value: string) => known.get(value) ?? value
  // Values chosen earlier stay listed, so they can be unchecked, even if no longer offered.
  const listed = [...options, ...chosen.filter((v) => !known.has(v)).map((v) => ({ value: v, label: v }))]

  useEffect(() => {
    if (!open) return
    function closeOutside(event: MouseEvent): void {
      if (root.current && event.target instanceof Node && !root.current.contains(event.target)) setOpen(false)
    }
    document.addEventListener('mousedown', closeOutside)
    return () => document.removeEventListener('mousedown', closeOutside)
  }, [open])

  function check(value: string, on: boolean): void {
    onChange(on ? [...chosen, value] : chosen.filter((v) => v !== value))
  }

  function addTyped(event: FormEvent): void {
    event.preventDefault()
    const value = draft.trim()
    if (value && !chosen.includes(value)) onChange([...chosen, value])
    setDraft('')
  }

  return (
    <div
      className="filter-menu"
      ref={root}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open) {
          e.stopPropagation()
          setOpen(false)
          toggle.current?.focus()
        }
      }}
    >
      <button ref={toggle} type="button" className="button" aria-expanded={open} aria-controls={panelId} onClick={() => setOpen(!open)}>
        <span className="filter-menu-name">{name}:</span> {summary(chosen, labelOf)}
      </button>
      {open && (
        <div id={panelId} className="filter-menu-panel">
          <fieldset>
            <legend className="visually-hidden">{name}</legend>
            {listed.length === 0 && !typed && <p className="filter-menu-empty">None known yet.</p>}
            {listed.map((o) => (
              <label key={o.value} className="filter-menu-choice">
                <input type="checkbox" checked={chosen.includes(o.value)} onChange={(e) => check(o.value, e.target.checked)} />
                {o.label}
              </label>
            ))}
          </fieldset>
          {typed && (
            <form className="filter-menu-typed" onSubmit={addTyped}>
              <input value={draft} onChange={(e) => setDraft(e.target.value)} placeholder={typed.placeholder} aria-label={`Add a ${name.toLowerCase()}`} maxLength={64} />
              <button type="submit" className="button button-small" disabled={!draft.trim()}>
                Add
              </button>
            </form>
          )}
          {chosen.length > 0 && (
            <button type="button" className="button button-small button-quiet" onClick={() => onChange([])}>
              Clear
            </button>
          )}
        </div>
      )}
    </div>
  )
}
