import type { Channel } from '../../../shared/domain'
import { CHANNEL_LABELS } from './format'

/** Small stroke icons (24-unit grid), drawn inline so the CSP needs no image source. */
const PATHS = {
  chat: 'M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12Z',
  email: 'M3 6.5A1.5 1.5 0 0 1 4.5 5h15A1.5 1.5 0 0 1 21 6.5v11a1.5 1.5 0 0 1-1.5 1.5h-15A1.5 1.5 0 0 1 3 17.5v-11Zm0 .5 9 6 9-6',
  sms: 'M4 5h16a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H9l-5 4V6a1 1 0 0 1 1-1Zm4 6h.01M12 11h.01M16 11h.01',
  whatsapp:
    'M20 11.6A8.4 8.4 0 0 1 7.6 19L3.5 20.5 5 16.6A8.4 8.4 0 1 1 20 11.6ZM9 8.5c0 3.5 3 6.5 6.5 6.5l1-1.6-2-1-1 .9A4.8 4.8 0 0 1 11 10.8l.9-1-1-2L9 8.5Z',
  voice:
    'M5 4h3.5l1.5 4-2 1.5a11 11 0 0 0 6.5 6.5L16 14l4 1.5V19a1 1 0 0 1-1 1A16 16 0 0 1 4 5a1 1 0 0 1 1-1Z',
  inbox: 'M3 13h5l1.5 3h5L16 13h5M5 5h14l2 8v5a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1v-5l2-8Z',
  user: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8Zm-7 8a7 7 0 0 1 14 0',
  unassigned: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8Zm-7 8a7 7 0 0 1 10-6.3M17 17h5',
  check: 'M5 12.5 10 17l9-10',
  checks: 'M2 12.5 7 17l9-10M12 16l1 1 9-10',
  clock: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18Zm0-13v4.5l3 2',
  alert: 'M12 8v5m0 3.5h.01M10.3 3.9 2.4 17.5A2 2 0 0 0 4.1 20.5h15.8a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0Z',
  note: 'M5 4h10l4 4v12H5V4Zm10 0v4h4M8 12h8M8 16h5',
  send: 'M4 12 20 4l-5 16-3-7-8-1Z',
  resolve: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18Zm-4-9 3 3 5-6',
  reopen: 'M4 12a8 8 0 1 0 2.3-5.7M4 4v4h4',
  arrowIn: 'M17 7 7 17m0-9v9h9',
  arrowOut: 'M7 17 17 7m0 9V7H8',
  sync: 'M20 12a8 8 0 0 1-14.3 4.9M4 12A8 8 0 0 1 18.3 7.1M18 3v4.5h-4.5M6 21v-4.5h4.5',
  offline: 'M2 2l20 20M8.5 16.5a5 5 0 0 1 7 0M5 12.9a10 10 0 0 1 5-2.8M19 12.9a10 10 0 0 0-2.2-1.6M12 20h.01M2 8.8a15 15 0 0 1 4.2-2.6M22 8.8A15 15 0 0 0 10.7 5',
  search: 'M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14Zm9 2-4-4',
  help: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18Zm-2.5-11.5a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .9-1 1.6v.6m0 3h.01',
  tag: 'M3 12V4a1 1 0 0 1 1-1h8l9 9-9 9-9-9Zm5-4.5h.01',
  merge: 'M6 3v6a6 6 0 0 0 6 6h6M6 21v-6m12 0-3-3m3 3-3 3',
  undo: 'M9 14 4 9l5-5M4 9h11a5 5 0 0 1 0 10h-3',
  plus: 'M12 5v14M5 12h14',
  flag: 'M5 21V4m0 0h12l-2.5 4L17 12H5',
  userPlus: 'M10 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8Zm-7 8a7 7 0 0 1 11.5-5.4M19 14v6M16 17h6',
  paperclip: 'M21 11.5 12.5 20a5 5 0 0 1-7-7L14 4.5a3.5 3.5 0 0 1 5 5L10.5 18a2 2 0 0 1-3-3L15 7.5',
  image: 'M4 5h16v14H4zM4 15l4-4 5 5 3-3 4 4M15 9h.01',
  bell: 'M6 16V11a6 6 0 1 1 12 0v5l2 2H4l2-2Zm4 4h4',
  download: 'M12 4v11m0 0-4-4m4 4 4-4M5 20h14',
  chart: 'M4 20V10m6 10V4m6 16v-7m4 7H3',
} as const

export type IconName = keyof typeof PATHS

export function Icon({ name, size = 16, title }: { name: IconName; size?: number; title?: string }) {
  return (
    <svg
      className="icon"
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.8}
      strokeLinecap="round"
      strokeLinejoin="round"
      role={title ? 'img' : undefined}
      aria-hidden={title ? undefined : true}
      aria-label={title}
    >
      <path d={PATHS[name]} />
    </svg>
  )
}

export function ChannelIcon({ channel, size = 14 }: { channel: Channel; size?: number }) {
  return (
    <span className={`channel-icon channel-${channel}`} title={CHANNEL_LABELS[channel]}>
      <Icon name={channel} size={size} title={CHANNEL_LABELS[channel]} />
    </span>
  )
}
