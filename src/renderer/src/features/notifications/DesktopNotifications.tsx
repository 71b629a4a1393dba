import { useEffect, useState } from 'react'
import { useApi } from '../../api/context'
import type { Selection } from '../inbox/InboxList'
import { Icon } from '../../lib/icons'
import { describeArrival, describeMentions, describeSlaBreaches, type NotificationText } from './summary'

const DISMISSED_KEY = 'threadline.notifications.prompt-dismissed'

const supported = (): boolean => typeof window !== 'undefined' && 'Notification' in window

/**
 * Desktop notifications for new inbound messages in the agent's own conversations, through the
 * web Notification API (Electron's renderer implements it natively, browsers ask the user).
 * Browsers only grant permission from a click, so the prompt is a button, never automatic.
 */
export function DesktopNotifications({ onOpen }: { onOpen(selection: Selection): void }) {
  const api = useApi()
  const [permission, setPermission] = useState<NotificationPermission | 'unsupported'>(() =>
    supported() ? Notification.permission : 'unsupported',
  )
  const [dismissed, setDismissed] = useState(() => localStorage.getItem(DISMISSED_KEY) === '1')

  useEffect(() => {
    if (permission !== 'granted') return
    function show(text: NotificationText | null): void {
      if (!text) return
      const notification = new Notification(text.title, { body: text.body, tag: text.tag })
      notification.onclick = () => {
        window.focus()
        if (text.open) onOpen(text.open)
        notification.close()
      }
    }
    const offInbound = api.on('inbound.arrived', (arrived) => show(describeArrival(arrived)))
    const offMentions = api.on('mentions.arrived', (arrived) => show(describeMentions(arrived)))
    const offSla = api.on('sla.breached', (arrived) => show(describeSlaBreaches(arrived)))
    return () => {
      offInbound()
      offMentions()
      offSla()
    }
  }, [api, permission, onOpen])

  if (permission !== 'default' || dismissed) return null
  return (
    <div className="banner banner-info notification-prompt" role="region" aria-label="Desktop notifications">
      <Icon name="bell" />
      <span>Get a desktop notification when a customer writes in one of your conversations or a teammate mentions you.</span>
      <button type="button" className="button button-small" onClick={() => void Notification.requestPermission().then(setPermission)}>
        Turn on notifications
      </button>
      <button
        type="button"
        className="button button-small button-quiet"
        onClick={() => {
          localStorage.setItem(DISMISSED_KEY, '1')
          setDismissed(true)
        }}
      >
        Not now
      </button>
    </div>
  )
}
