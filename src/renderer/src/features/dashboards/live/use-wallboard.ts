import { useCallback, useEffect, useState, type RefObject } from 'react'

/** `fullscreen`: the element fills the screen; `window`: the fullscreen request was refused, so it covers the window instead. */
export type WallboardMode = 'off' | 'fullscreen' | 'window'

/**
 * Shows an element as a wallboard: full screen where the platform allows it, else over the
 * whole window (Electron's permission policy refuses fullscreen requests from the page). Esc
 * leaves either; the screen is given back when the element goes.
 */
export function useWallboard(element: RefObject<HTMLElement | null>) {
  const [mode, setMode] = useState<WallboardMode>('off')

  const enter = useCallback(async () => {
    const target = element.current
    if (!target) return
    try {
      if (!document.fullscreenEnabled) throw new Error('fullscreen is not available')
      await target.requestFullscreen()
      setMode('fullscreen')
    } catch {
      setMode('window')
    }
  }, [element])

  const leave = useCallback(() => {
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => {})
    setMode('off')
  }, [])

  useEffect(() => {
    if (mode === 'off') return
    // The browser may end fullscreen on its own (its Esc, F11, a window switch): follow it.
    function onFullscreenChange(): void {
      if (mode === 'fullscreen' && document.fullscreenElement !== element.current) setMode('off')
    }
    // Caught before the workspace's own Esc (which closes a drawer the wallboard hides); a
    // dialog open on the wallboard keeps its Esc to close itself.
    function onKeyDown(event: KeyboardEvent): void {
      if (event.key !== 'Escape' || (event.target instanceof Element && event.target.closest('[role="dialog"]'))) return
      event.preventDefault()
      leave()
    }
    document.addEventListener('fullscreenchange', onFullscreenChange)
    window.addEventListener('keydown', onKeyDown, true)
    return () => {
      document.removeEventListener('fullscreenchange', onFullscreenChange)
      window.removeEventListener('keydown', onKeyDown, true)
    }
  }, [mode, element, leave])

  useEffect(
    () => () => {
      if (document.fullscreenElement) void document.exitFullscreen().catch(() => {})
    },
    [],
  )

  return { mode, enter, leave }
}
