import { useState, type KeyboardEvent } from 'react'

/**
 * Keyboard navigation of a filter box over a listbox (the assign picker, the command palette):
 * arrows move the active option, wrapping, Enter picks it. The active index is clamped to the
 * options as the filter narrows them. Options carry the ids `<idPrefix>-<index>` inside a
 * listbox with the id `<idPrefix>-options`.
 */
export function useListbox<T>(options: readonly T[], idPrefix: string, pick: (option: T | undefined) => void) {
  const [active, setActive] = useState(0)
  const current = Math.min(active, Math.max(0, options.length - 1))

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>): void {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault()
      const next = (current + (event.key === 'ArrowDown' ? 1 : -1) + options.length) % Math.max(1, options.length)
      setActive(next)
      document.getElementById(`${idPrefix}-${next}`)?.scrollIntoView({ block: 'nearest' })
    } else if (event.key === 'Enter') {
      event.preventDefault()
      pick(options[current])
    }
  }

  return {
    current,
    setActive,
    inputProps: {
      role: 'combobox',
      'aria-expanded': true,
      'aria-controls': `${idPrefix}-options`,
      'aria-activedescendant': options.length ? `${idPrefix}-${current}` : undefined,
      onKeyDown,
    },
  }
}
