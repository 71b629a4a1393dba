import type { AgentStatus, AgentStatusName } from '../../shared/agent-status'
import type { User } from '../../shared/domain'
import { isActive } from '../../shared/roles'

/** One user's sync sockets on one node: how many are connected, and how many of those reported away. */
export interface SocketCount {
  sockets: number
  away: number
}

/** Socket counts by user id; a user with no socket has no entry. */
export type SocketCounts = ReadonlyMap<string, SocketCount>

/** Changes within this long reach supervisors as one list: a reconnect storm is one emit, not hundreds. */
const COALESCE_MS = 100

const statusOf = (count: SocketCount | undefined): AgentStatusName =>
  !count || count.sockets <= 0 ? 'offline' : count.away >= count.sockets ? 'away' : 'online'

function addCounts(into: Map<string, SocketCount>, counts: SocketCounts): Map<string, SocketCount> {
  for (const [userId, count] of counts) {
    const known = into.get(userId)
    into.set(userId, known ? { sockets: known.sockets + count.sockets, away: known.away + count.away } : { ...count })
  }
  return into
}

const byUser = ([a]: [string, SocketCount], [b]: [string, SocketCount]): number => (a < b ? -1 : a > b ? 1 : 0)

const countsKey = (counts: SocketCounts): string => JSON.stringify([...counts].sort(byUser).map(([userId, c]) => [userId, c.sockets, c.away]))

/**
 * Each user's status and since when it holds. Only changes are stamped with the clock: a user
 * this node has never seen connected is offline since they were created.
 */
class StatusBoard {
  private readonly known = new Map<string, { status: AgentStatusName; since: number }>()

  /** Takes in everyone's sockets as they are now; true when any user's status changed. */
  update(counts: SocketCounts, now: number): boolean {
    let changed = false
    const set = (userId: string, status: AgentStatusName): void => {
      const known = this.known.get(userId)
      if (known ? known.status === status : status === 'offline') return
      this.known.set(userId, { status, since: now })
      changed = true
    }
    for (const [userId, count] of counts) set(userId, statusOf(count))
    for (const userId of this.known.keys()) if (!counts.has(userId)) set(userId, 'offline')
    return changed
  }

  /**
   * What other nodes have known for longer: a node that just joined the cluster takes, for each
   * user's status as `counts` make it, the earliest `since` another node gives that status,
   * rather than stamping everyone with its own start. A node may lag a round behind the counts,
   * so what it says of a status the counts do not bear out is left aside.
   */
  adopt(said: ReadonlyMap<string, readonly AgentStatus[]>, counts: SocketCounts): boolean {
    let changed = false
    for (const [userId, statuses] of said) {
      const status = statusOf(counts.get(userId))
      const since = Math.min(...statuses.filter((s) => s.status === status).map((s) => s.since))
      const known = this.known.get(userId)
      if (!Number.isFinite(since) || (known?.status === status && known.since <= since)) continue
      this.known.set(userId, { status, since })
      changed = true
    }
    return changed
  }

  entries(): AgentStatus[] {
    return [...this.known].map(([userId, { status, since }]) => ({ userId, status, since }))
  }

  list(users: readonly User[]): AgentStatus[] {
    return users.filter(isActive).map((user) => {
      const known = this.known.get(user.id)
      return { userId: user.id, status: known?.status ?? 'offline', since: known?.since ?? user.createdAt }
    })
  }
}

export interface AgentStatusDeps {
  /** This node's connected sync sockets, counted by user. */
  localCounts(): SocketCounts
  listUsers(): Promise<User[]>
  /** Whether any supervisor or admin is connected to this node (else the users need not be read). */
  watching(): boolean
  /** Sends the list to this node's supervisors and admins: every one, or only the sockets named. */
  send(agents: AgentStatus[], only: ReadonlySet<string> | null): void
  log: { error(obj: object, msg: string): void }
}

/**
 * Who is online, away or offline, from the sync sockets of this node and of the others (told by
 * agent-status-share.ts; a single node has none), kept for the supervisors connected here.
 */
export interface AgentStatusTracker {
  /** This node's sockets changed (one connected or left, one reported away or back). */
  socketsChanged(): void
  /** The user list changed (someone created, renamed or deactivated): send it again. */
  usersChanged(): void
  /** A supervisor's socket connected: it gets the list at the next round, changed or not. */
  welcome(socketId: string): void
  localCounts(): SocketCounts
  /** Another node's sockets as it last told them; null when it left or went silent. */
  setRemote(node: string, counts: SocketCounts | null): void
  /** Another node's statuses, for this node that just joined (see StatusBoard.adopt). */
  adopt(statuses: readonly AgentStatus[]): void
  /**
   * Works nothing out for `ms`: a node joining a cluster waits for the others' statuses and
   * counts, lest it take its partial view for changes and stamp them with its own clock.
   */
  hold(ms: number): void
  /** What this node knows, for a node that just joined. */
  statuses(): AgentStatus[]
  /** Called with this node's counts after a round in which they changed. */
  onLocalCounts(listener: (counts: SocketCounts) => void): () => void
  close(): void
}

export function trackAgentStatus(deps: AgentStatusDeps): AgentStatusTracker {
  const board = new StatusBoard()
  const remote = new Map<string, SocketCounts>()
  const welcomed = new Set<string>()
  /** What the other nodes answered this node's hello with, for the next round. */
  const said = new Map<string, AgentStatus[]>()
  const localListeners = new Set<(counts: SocketCounts) => void>()
  let lastLocal = countsKey(new Map())
  let resend = false
  let timer: NodeJS.Timeout | null = null
  let heldUntil = 0
  let closed = false

  const soon = (): void => {
    if (timer || closed) return
    timer = setTimeout(round, Math.max(COALESCE_MS, heldUntil - Date.now()))
    timer.unref()
  }

  const round = (): void => {
    timer = null
    const local = deps.localCounts()
    const key = countsKey(local)
    if (key !== lastLocal) {
      lastLocal = key
      for (const listener of localListeners) listener(local)
    }
    const everyone = new Map<string, SocketCount>()
    for (const counts of [local, ...remote.values()]) addCounts(everyone, counts)
    const adopted = board.adopt(said, everyone)
    said.clear()
    const changed = board.update(everyone, Date.now()) || adopted || resend
    resend = false
    const only = changed ? null : new Set(welcomed)
    welcomed.clear()
    if (only?.size === 0 || !deps.watching()) return
    deps.listUsers().then(
      (users) => {
        if (!closed) deps.send(board.list(users), only)
      },
      (err: unknown) => deps.log.error({ err }, 'reading the users for their online status failed'),
    )
  }

  return {
    socketsChanged: soon,
    usersChanged() {
      resend = true
      soon()
    },
    welcome(socketId) {
      welcomed.add(socketId)
      soon()
    },
    localCounts: () => deps.localCounts(),
    setRemote(node, counts) {
      if (counts) remote.set(node, counts)
      else remote.delete(node)
      soon()
    },
    adopt(statuses) {
      for (const status of statuses) said.set(status.userId, [...(said.get(status.userId) ?? []), status])
      soon()
    },
    hold(ms) {
      heldUntil = Date.now() + ms
      if (!timer) return
      clearTimeout(timer)
      timer = null
      soon()
    },
    statuses: () => board.entries(),
    onLocalCounts(listener) {
      localListeners.add(listener)
      return () => localListeners.delete(listener)
    },
    close() {
      closed = true
      if (timer) clearTimeout(timer)
      timer = null
      localListeners.clear()
    },
  }
}
