import { isIPv6 } from 'node:net'
import { z } from 'zod'
import { admit, RateWindow } from './rate-limit'

const Rate = (max: number, perSeconds: number) =>
  z
    .strictObject({
      max: z.number().int().min(1, 'max must be at least 1'),
      perSeconds: z.number().int().min(1, 'perSeconds must be at least 1').max(86_400, 'perSeconds must be at most 86400 (a day)'),
    })
    .default({ max, perSeconds })

/** How much one web chat inbox takes in; each is at most `max` per `perSeconds`, over a sliding window. */
export const WebchatRateLimits = z.strictObject({
  /** Socket events of one visitor of any kind (typing, the form, codes, messages): typing reaches every agent of the inbox. */
  visitorEvents: Rate(60, 10),
  /** Messages one visitor may send in a burst (all their tabs together). */
  visitorBurst: Rate(10, 10),
  /** Messages one visitor may send over a longer stretch. */
  visitorMessages: Rate(60, 60),
  /** Handshakes from one network (an IPv4 address or an IPv6 /64), returning visitors included: every page view is one. */
  addressConnections: Rate(120, 60),
  /** Handshakes of new visitors (no valid token) from one network: the flood that looks like many strangers. */
  addressNewVisitors: Rate(20, 600),
  /** Messages of all visitors together: the most the team is asked to take in. */
  inboxMessages: Rate(600, 60),
  /** New visitors of the inbox from every network together. */
  inboxNewVisitors: Rate(600, 60),
})
export type WebchatRateLimits = z.output<typeof WebchatRateLimits>

const WHOLE_INBOX = 'inbox'

/**
 * The network a client connects from. One home or phone gets a whole IPv6 /64 to pick addresses
 * from, so IPv6 counts by /64; an IPv4 address mapped into IPv6 counts as itself.
 */
export function networkOf(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)
  if (mapped?.[1]) return mapped[1]
  if (!isIPv6(address)) return address
  const [head = '', tail] = address.split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0')
  const prefix = [...left, ...zeros, ...right].slice(0, 4).map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''))
  return `${prefix.join(':')}::/64`
}

/** The rate limits of one web chat inbox, in memory; each throws RateLimitedError saying when to try again. */
export class ChatLimits {
  private readonly windows: { [K in keyof WebchatRateLimits]: RateWindow }

  constructor(limits: WebchatRateLimits) {
    const window = (rate: { max: number; perSeconds: number }): RateWindow => new RateWindow(rate.max, rate.perSeconds * 1000)
    this.windows = {
      visitorEvents: window(limits.visitorEvents),
      visitorBurst: window(limits.visitorBurst),
      visitorMessages: window(limits.visitorMessages),
      addressConnections: window(limits.addressConnections),
      addressNewVisitors: window(limits.addressNewVisitors),
      inboxMessages: window(limits.inboxMessages),
      inboxNewVisitors: window(limits.inboxNewVisitors),
    }
  }

  /** A handshake from `address`; `newVisitor` when it carries no valid visitor token. */
  admitConnection(address: string, newVisitor: boolean, now: number): void {
    const network = networkOf(address)
    const w = this.windows
    admit(
      [
        { window: w.addressConnections, key: network, refusal: 'Too many chat connections from your network' },
        ...(newVisitor
          ? [
              { window: w.addressNewVisitors, key: network, refusal: 'Too many new chats from your network' },
              { window: w.inboxNewVisitors, key: WHOLE_INBOX, refusal: 'The chat is too busy for new visitors right now' },
            ]
          : []),
      ],
      now,
    )
  }

  /** Any socket event of the visitor, before it is handled. */
  admitEvent(visitorId: string, now: number): void {
    admit([{ window: this.windows.visitorEvents, key: visitorId, refusal: 'You are doing that too often' }], now)
  }

  /** A message the visitor has not sent before (a resend of a stored one is never counted). */
  admitMessage(visitorId: string, now: number): void {
    const w = this.windows
    const tooFast = 'You are sending messages too fast'
    admit(
      [
        { window: w.visitorBurst, key: visitorId, refusal: tooFast },
        { window: w.visitorMessages, key: visitorId, refusal: tooFast },
        { window: w.inboxMessages, key: WHOLE_INBOX, refusal: 'The team is receiving too many messages right now' },
      ],
      now,
    )
  }
}
