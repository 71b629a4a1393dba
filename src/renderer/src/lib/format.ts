import { useEffect, useState } from 'react'
import type { Channel, ConversationStatus, DeliveryStatus, UnverifiedReason } from '../../../shared/domain'

export const CHANNEL_LABELS: Record<Channel, string> = {
  chat: 'Chat',
  email: 'Email',
  sms: 'SMS',
  whatsapp: 'WhatsApp',
  voice: 'Phone',
}

/** Why an address is not proven, as an agent reads it next to the address or the message. */
export const UNVERIFIED_LABELS: Record<UnverifiedReason, string> = {
  typed_in_chat: 'Unverified: typed into the chat form',
  failed_dmarc: "Unverified sender: this email failed its domain's DMARC check",
}

export const STATUS_LABELS: Record<ConversationStatus, string> = {
  open: 'Open',
  pending: 'Pending',
  snoozed: 'Snoozed',
  resolved: 'Resolved',
}

export const DELIVERY_LABELS: Record<DeliveryStatus, string> = {
  received: 'Received',
  queued: 'Queued',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Failed',
}

/** Re-renders every `intervalMs` so relative times stay true while the window stays open. */
export function useNow(intervalMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs)
    return () => clearInterval(timer)
  }, [intervalMs])
  return now
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

// Date#toLocale*String builds a new Intl.DateTimeFormat on every call, which dominated
// rendering long lists; each format is built once and reused.
const formats = {
  weekday: new Intl.DateTimeFormat(undefined, { weekday: 'short' }),
  dayMonth: new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' }),
  dayMonthYear: new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' }),
  clock: new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }),
  full: new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }),
  longDay: new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long' }),
  longDayYear: new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }),
}

export function shortDate(at: number): string {
  return formats.dayMonth.format(at)
}

/** Compact, inbox-style: "now", "5m", "3h", "Tue", "12 Mar", "12 Mar 2023". */
export function relativeTime(at: number, now: number): string {
  const diff = now - at
  if (diff < MINUTE) return 'now'
  if (diff < HOUR) return `${Math.floor(diff / MINUTE)}m`
  if (diff < DAY) return `${Math.floor(diff / HOUR)}h`
  const date = new Date(at)
  if (diff < 6 * DAY) return formats.weekday.format(date)
  const sameYear = date.getFullYear() === new Date(now).getFullYear()
  return (sameYear ? formats.dayMonth : formats.dayMonthYear).format(date)
}

/** How long ago, as a span: "4m", "3h", "2d". */
export function elapsed(at: number, now: number): string {
  const diff = Math.max(0, now - at)
  if (diff < HOUR) return `${Math.max(1, Math.floor(diff / MINUTE))}m`
  if (diff < DAY) return `${Math.floor(diff / HOUR)}h`
  return `${Math.floor(diff / DAY)}d`
}

export function clockTime(at: number): string {
  return formats.clock.format(at)
}

export function fullTime(at: number): string {
  return formats.full.format(at)
}

export function dayLabel(at: number, now: number): string {
  const date = new Date(at)
  const today = new Date(now)
  const startOfToday = new Date(today.getFullYear(), today.getMonth(), today.getDate()).getTime()
  if (at >= startOfToday) return 'Today'
  if (at >= startOfToday - DAY) return 'Yesterday'
  const sameYear = date.getFullYear() === today.getFullYear()
  return (sameYear ? formats.longDay : formats.longDayYear).format(date)
}

export function dayKey(at: number): string {
  const d = new Date(at)
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`
}

export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`
  const m = Math.floor(seconds / 60)
  const s = seconds % 60
  if (m < 60) return s ? `${m}m ${s}s` : `${m}m`
  return `${Math.floor(m / 60)}h ${m % 60}m`
}

export function initials(name: string): string {
  const parts = name.trim().split(/[\s@._-]+/).filter(Boolean)
  const first = parts[0]?.[0] ?? '?'
  const last = parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : ''
  return (first + last).toUpperCase()
}

/** A stable hue per customer so avatars are told apart at a glance. */
export function avatarHue(seed: string): number {
  let hash = 0
  for (let i = 0; i < seed.length; i++) hash = (hash * 31 + seed.charCodeAt(i)) | 0
  return Math.abs(hash) % 360
}
