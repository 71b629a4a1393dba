import { useEffect } from 'react'
// The zod-free value list: this hook runs in the first screen, which does not load zod.
import { AWAY_AFTER_MS } from '../../../../shared/domain-values'
import { useApi } from '../../api/context'

const INPUT_EVENTS = ['keydown', 'pointerdown', 'mousemove', 'wheel'] as const

/**
 * Tells the core when nobody has used this window for AWAY_AFTER_MS, and again at the next
 * input, so supervisors see the agent away. Mount once, in the signed-in shell.
 */
export function useAwayReporter(): void {
  const api = useApi()
  useEffect(() => {
    let lastInput = Date.now()
    let away = false
    let timer: ReturnType<typeof setTimeout> | null = null
    const report = (next: boolean): void => {
      away = next
      void api.call('presence.away', { away: next }).catch(() => {})
    }
    const check = (): void => {
      const idle = Date.now() - lastInput
      if (idle < AWAY_AFTER_MS) {
        timer = setTimeout(check, AWAY_AFTER_MS - idle)
        return
      }
      timer = null
      report(true)
    }
    // Mouse moves come by the hundred: a listener only notes the time, and one timer looks at it.
    const onInput = (): void => {
      lastInput = Date.now()
      if (!away) return
      report(false)
      timer = setTimeout(check, AWAY_AFTER_MS)
    }
    timer = setTimeout(check, AWAY_AFTER_MS)
    for (const name of INPUT_EVENTS) window.addEventListener(name, onInput, { capture: true, passive: true })
    return () => {
      if (timer) clearTimeout(timer)
      for (const name of INPUT_EVENTS) window.removeEventListener(name, onInput, { capture: true })
    }
  }, [api])
}
