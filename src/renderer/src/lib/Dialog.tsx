import { useId, useLayoutEffect, useRef, type CSSProperties, type ReactNode } from 'react'

/**
 * A modal dialog: labelled, focus moved in and kept in, Escape or a click outside closes it,
 * and focus goes back to where it was (or where `returnFocus` puts it).
 */
export function Dialog({
  title,
  onClose,
  children,
  className,
  hideTitle = false,
  style,
  returnFocus,
}: {
  title: string
  onClose(): void
  children: ReactNode
  className?: string
  hideTitle?: boolean
  /** Places the dialog somewhere other than the top middle, e.g. beside a caret. */
  style?: CSSProperties
  /**
   * Gives focus back when the dialog closes. A rich-text editor must put its own caret back: the
   * browser focusing its element places the caret wherever it likes (often at the start), and
   * the keys typed next land there.
   */
  returnFocus?: () => void
}) {
  const titleId = useId()
  const panel = useRef<HTMLDivElement>(null)
  const giveBack = useRef(returnFocus)
  useLayoutEffect(() => {
    giveBack.current = returnFocus
  })

  // A layout effect: focus moves in within the commit that shows the dialog, so no keystroke
  // lands behind a dialog that is already on screen.
  useLayoutEffect(() => {
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null
    const first = panel.current?.querySelector<HTMLElement>('[data-autofocus], input, button, select, [tabindex="0"]')
    ;(first ?? panel.current)?.focus()
    // Modal means modal: anything that grabs focus later (an editor restoring its caret, a
    // list refocusing after an update) must not pull the keyboard out from under the dialog.
    // A dialog opened on top of this one keeps its own focus.
    function keepFocusInside(event: FocusEvent): void {
      const target = event.target
      if (!panel.current || !(target instanceof Element) || panel.current.contains(target)) return
      if (target.closest('[aria-modal="true"]')) return
      ;(first ?? panel.current).focus()
    }
    document.addEventListener('focusin', keepFocusInside)
    return () => {
      document.removeEventListener('focusin', keepFocusInside)
      if (giveBack.current) giveBack.current()
      else previous?.focus()
    }
  }, [])

  function onKeyDown(event: React.KeyboardEvent<HTMLDivElement>): void {
    if (event.key === 'Escape') {
      event.preventDefault()
      event.stopPropagation()
      onClose()
      return
    }
    if (event.key !== 'Tab' || !panel.current) return
    const focusable = [...panel.current.querySelectorAll<HTMLElement>('input, button, select, textarea, [tabindex="0"]')].filter(
      (el) => !el.hasAttribute('disabled'),
    )
    const first = focusable[0]
    const last = focusable.at(-1)
    if (!first || !last) return
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault()
      last.focus()
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault()
      first.focus()
    }
  }

  return (
    <div className="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={panel}
        className={`dialog${className ? ` ${className}` : ''}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        style={style}
        onKeyDown={onKeyDown}
      >
        <h2 id={titleId} className={hideTitle ? 'visually-hidden' : 'dialog-title'}>
          {title}
        </h2>
        {children}
      </div>
    </div>
  )
}
