import { useEffect, useState } from 'react'
import type { PresenceEntry } from '../../../../shared/ipc'
import { useApi } from '../../api/context'
import { avatarHue, initials } from '../../lib/format'

/** A typing notice lasts this long after the last keystroke. */
const TYPING_IDLE_MS = 4_000
/** Keystrokes re-announce typing at most this often. */
const TYPING_REFRESH_MS = 2_500

/**
 * Collision view for one conversation: tells the server this agent has it open (and is
 * typing a reply), and shows the other agents who are in it right now.
 */
export function Presence({ conversationId }: { conversationId: string }) {
  const api = useApi()
  const [room, setRoom] = useState<{ conversationId: string; others: PresenceEntry[] } | null>(null)
  // Whoever was in the previous conversation is not in this one.
  const others = room?.conversationId === conversationId ? room.others : []

  useEffect(() => {
    const off = api.on('presence.changed', (p) => {
      if (p.conversationId === conversationId) setRoom(p)
    })
    void api.call('presence.viewing', { conversationId }).catch(() => {})
    return () => {
      off()
      void api.call('presence.viewing', { conversationId: null }).catch(() => {})
    }
  }, [api, conversationId])

  // The composer is its own feature; typing is read from its input events here so it needs no
  // presence wiring. Internal notes are left out: a chat visitor sees agents' typing too.
  useEffect(() => {
    let idle: ReturnType<typeof setTimeout> | null = null
    let lastSent = 0
    const send = (typing: boolean) => void api.call('presence.typing', { conversationId, typing }).catch(() => {})
    function onInput(event: Event): void {
      const composer = event.target instanceof Element ? event.target.closest('.composer') : null
      if (!composer || composer.classList.contains('composer-note')) return
      const now = Date.now()
      if (now - lastSent > TYPING_REFRESH_MS) {
        lastSent = now
        send(true)
      }
      if (idle) clearTimeout(idle)
      idle = setTimeout(() => {
        idle = null
        lastSent = 0
        send(false)
      }, TYPING_IDLE_MS)
    }
    document.addEventListener('input', onInput, true)
    return () => {
      document.removeEventListener('input', onInput, true)
      if (idle) {
        clearTimeout(idle)
        send(false)
      }
    }
  }, [api, conversationId])

  if (others.length === 0) return null
  const typing = others.filter((o) => o.typing)
  const names = (list: PresenceEntry[]) => list.map((o) => o.name.split(' ')[0]).join(', ')
  const text =
    typing.length > 0
      ? `${names(typing)} ${typing.length === 1 ? 'is' : 'are'} typing…`
      : `${names(others)} ${others.length === 1 ? 'is' : 'are'} viewing`
  return (
    <div className="presence" role="status" aria-live="polite" data-testid="presence">
      <span className="presence-avatars" aria-hidden="true">
        {others.map((o) => (
          <span key={o.userId} className={`avatar avatar-sm${o.typing ? ' presence-typing' : ''}`} style={{ ['--hue' as string]: avatarHue(o.userId) }} title={o.name}>
            {initials(o.name)}
          </span>
        ))}
      </span>
      <span>{text}</span>
    </div>
  )
}
