import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Core } from '../../src/core/core'
import { createCore } from '../../src/core/index'
import { newId } from '../../src/shared/ids'
import type { SyncState } from '../../src/shared/ipc'
import type { Change } from '../../src/shared/sync'
import { createTestDatabase, type TestDatabase } from '../support/postgres'
import {
  childEnv,
  holdsLease,
  LightClient,
  quantile,
  ROOT,
  sleep,
  spawnNode,
  startBalancer,
  type Balancer,
  type NodeProcess,
} from './support/cluster-harness'
import { materialize, pullChangeLog, readCache, waitFor, type State } from './support/sync-harness'

/**
 * Scale-out acceptance: two server nodes (real processes, `node --import tsx src/server/main.ts`)
 * on one PostgreSQL database and one Redis, 50 sync clients split between them behind a load
 * balancer, webhooks and agent actions sent to both — and one node killed with SIGKILL in the
 * middle of it, right after a burst of webhooks and pushes was sent to it. Its clients reconnect
 * through the balancer to the survivor, requests it had in hand are retried there with the same
 * externalId / mutation id, and once things are quiet:
 *  - every client holds exactly what the database's change log describes (materialized);
 *  - every acknowledged webhook is stored, each externalId once (resends answered as duplicates);
 *  - every acknowledged agent action is applied, exactly once and in order;
 *  - the survivor took over the outbound lease (src/server/ops/leases.ts): no reply is left
 *    queued or sent twice, and each reply committed after the kill is delivered exactly once.
 * The killed node is the one that won the outbound lease, so the sending has to move.
 *
 * The clients: 6 real client cores (createCore, each with its own cache file) in this process,
 * and 44 lightweight socket.io clients (LightClient in support/cluster-harness.ts) that follow
 * the sync protocol exactly as the core's engine does — pull by cursor on connect and after any
 * poke whose `after` is not their cursor, apply a poke's changes when `after` is their cursor —
 * with their state as an in-memory map entity → row. 50 cores would need 50 SQLite caches
 * applying every change in one process on a 2-core machine that also runs both nodes; the
 * lightweight clients exercise the same protocol from the server's side at a fraction of the cost.
 *
 * The load balancer is a TCP proxy (startBalancer): clients of address A go to node A while it
 * accepts connections, else to B, and the other way round for address B. The webhook senders and
 * the REST caller address the nodes directly and, like a provider's retry or a balancer's, send a
 * failed request again to the other node.
 *
 * Every agent action of a client (reply, note, status change, label) goes to that client's own
 * "desk" conversation, which no webhook touches afterwards, so its timeline in the change log
 * must be exactly that client's acknowledged actions in order: a lost action or one applied
 * twice shows there. The cross-node latency (webhook acknowledged by one node → the message in
 * the state of a client on the other) is printed for the report and only loosely bounded.
 *
 * The traffic is modest on purpose (about 40 writes a second): every write of the cluster holds
 * one change-counter row lock, so writes are serialized across the nodes, and on a 2-core
 * machine running both nodes, PostgreSQL and 50 clients a heavier load only queues them.
 */

const REDIS_URL = process.env.THREADLINE_TEST_REDIS_URL || 'redis://127.0.0.1:6379'
const run = promisify(execFile)

const CORES_PER_NODE = 3
const LIGHT_PER_NODE = 22
/** Every LIGHT_ACTOR_EVERY-th lightweight client acts as an agent too; the rest only watch. */
const LIGHT_ACTOR_EVERY = 6
const PRE_KILL_MS = 3_000
const POST_KILL_MS = 3_000
const WEBHOOK_SENDERS_PER_NODE = 2
const WEBHOOK_PAUSE_MS = 70
/** Every RESEND_EVERY-th webhook is an earlier one sent again on purpose. */
const RESEND_EVERY = 4
const ACTION_PAUSE_MS = 1_000
const CORE_ACTION_PAUSE_MS = 1_000
const REST_NOTE_PAUSE_MS = 300
const TRAFFIC_PHONES = 30

type NodeName = 'a' | 'b'

let database: TestDatabase
let db: pg.Client
let dir: string
const nodes = new Map<NodeName, NodeProcess>()
const alive = new Set<NodeName>()
const balancers: Balancer[] = []
const lights: LightClient[] = []
const cores: { name: string; core: Core; dataDir: string; front: NodeName }[] = []
/** Stops the traffic (also when the test failed half way). */
let halt: () => void = () => undefined

beforeAll(async () => {
  database = await createTestDatabase()
  db = new pg.Client({ connectionString: database.url })
  db.on('error', () => undefined)
  await db.connect()
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-cluster-kill-'))
})

afterAll(async () => {
  halt()
  for (const client of lights) client.close()
  await Promise.allSettled(cores.map((c) => c.core.close()))
  await Promise.allSettled(balancers.map((b) => b.close()))
  await Promise.allSettled([...nodes.values()].map((n) => n.stop()))
  await db?.end().catch(() => undefined)
  await database?.drop()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

/** `npm run cli` against the cluster's database; returns the last line it printed. */
async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', ...args], {
    cwd: ROOT,
    env: childEnv({ DATABASE_URL: database.url, THREADLINE_DB: path.join(dir, 'cli', 'server.sqlite') }),
  })
  return stdout.trim().split('\n').at(-1) ?? ''
}

async function lastSeq(): Promise<number> {
  const { rows } = await db.query<{ seq: string }>('SELECT seq FROM change_counter WHERE id = 1')
  return Number(rows[0]!.seq)
}

const phone = (n: number): string => `+1415555${String(n).padStart(4, '0')}`

interface Delivery {
  externalId: string
  from: string
  status: number
  body: { itemId: string; conversationId: string; duplicate?: boolean }
  node: NodeName
  sentAt: number
  ackedAt: number
  attempts: number
}

const otherThan = (name: NodeName): NodeName => (name === 'a' ? 'b' : 'a')
/** The node a request goes to: the one asked for while it lives, else the survivor. */
const route = (wanted: NodeName): NodeName => (alive.has(wanted) ? wanted : otherThan(wanted))

/** Failed attempts (network errors, 5xx) that were retried, for the report. */
const retried: string[] = []

/**
 * One JSON request, sent again (same body, so the same externalId or id) to the other node
 * when the connection fails or the node answers 5xx, as a provider or a balancer retries.
 */
async function send(
  wanted: NodeName,
  method: string,
  path_: string,
  token: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown>; node: NodeName; sentAt: number; ackedAt: number; attempts: number }> {
  const sentAt = performance.now()
  let target = route(wanted)
  for (let attempt = 1; attempt <= 20; attempt++) {
    const node = nodes.get(target)!
    try {
      const res = await fetch(`${node.url}${path_}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      })
      const text = await res.text()
      if (res.status >= 500) throw new Error(`HTTP ${res.status}: ${text}`)
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, node: target, sentAt, ackedAt: performance.now(), attempts: attempt }
    } catch (err) {
      retried.push(`${method} ${path_} on node ${target}: ${err instanceof Error ? `${err.message}${err.cause ? ` (${String(err.cause)})` : ''}` : String(err)}`)
      await sleep(50)
      // The other node if it lives (the survivor after a kill), else this one again.
      const other = otherThan(target)
      target = alive.has(other) ? other : route(target)
    }
  }
  throw new Error(`${method} ${path_} failed 20 times; last failures:\n${retried.slice(-3).join('\n')}`)
}

async function syncState(core: Core): Promise<SyncState> {
  return (await core.handle('sync.state', {})) as SyncState
}

/** Keys whose rows differ between a client's state and the expected one (at most a few, for the message). */
function differences(actual: State, expected: State): string[] {
  const out: string[] = []
  for (const [key, row] of expected) {
    if (!actual.has(key)) out.push(`missing ${key}`)
    else if (JSON.stringify(actual.get(key)) !== JSON.stringify(row)) out.push(`differs ${key}`)
  }
  for (const key of actual.keys()) if (!expected.has(key)) out.push(`extra ${key}`)
  return out
}

/** Rows compared with their keys in one order, so JSON equality means equal values. */
function canonical(state: State): State {
  const sortKeys = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sortKeys)
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, sortKeys(v)]))
    }
    return value
  }
  return new Map([...state].map(([k, v]) => [k, sortKeys(v)]))
}

interface ActorPlan {
  name: string
  desk: string
  replies: { id: string; ackedAt: number | null }[]
  notes: string[]
  statuses: string[]
  labels: string[]
}

describe('a cluster losing a node under load', () => {
  it('moves the dead node’s clients and requests to the survivor, losing and duplicating nothing', async () => {
    const started = performance.now()
    const marks: string[] = []
    const mark = (what: string): void => void marks.push(`${what} ${((performance.now() - started) / 1000).toFixed(1)} s`)
    // ---- Two nodes, one database, one Redis. The one that won the outbound lease (it sends every
    // reply of the cluster) is called A: it is the one killed, so the sending has to move.
    // The agent and the API integration are made with the CLI on the cluster's database meanwhile
    // (whichever process comes first migrates the schema; the others wait on its advisory lock).
    const [spawned, [token, integration]] = await Promise.all([
      Promise.all(['1', '2'].map((n) => spawnNode(`node${n}`, { dataDir: path.join(dir, `node${n}`), databaseUrl: database.url, redisUrl: REDIS_URL }))),
      Promise.all([
        cli('user:create', '--name', 'Kai Cluster', '--email', 'kai@cluster.test', '--role', 'agent').then(() => cli('token:create', '--email', 'kai@cluster.test')),
        cli('integration:create', '--name', 'Cluster relay', '--inboxes', 'API'),
      ]),
    ])
    for (const node of spawned) {
      await waitFor(`${node.name} to be ready`, async () => (await fetch(`${node.url}/ready`)).status === 200, 20_000, 50)
    }
    const sender = await waitFor(
      'a node to hold the outbound lease',
      async () => {
        for (const node of spawned) if (await holdsLease(node.url, 'outbound')) return node
        return null
      },
      20_000,
      100,
    )
    const a = sender
    const b = spawned.find((n) => n !== sender)!
    nodes.set('a', a)
    nodes.set('b', b)
    alive.add('a').add('b')
    expect(await holdsLease(b.url, 'outbound')).toBe(false)
    mark('nodes ready and agent made')
    expect(token).toMatch(/^tl_/)
    const agentId = (await db.query<{ id: string }>(`SELECT id FROM users WHERE email = 'kai@cluster.test'`)).rows[0]!.id
    const inbound = (wanted: NodeName, externalId: string, from: string, text: string) =>
      send(wanted, 'POST', '/api/v1/inbound', integration, {
        channel: 'sms',
        inbox: 'API',
        externalId,
        from: { kind: 'phone', address: from },
        text,
      }) as Promise<Omit<Delivery, 'externalId' | 'from'>>

    // ---- A desk conversation for each acting client, made before anyone connects.
    const lightActorCount = Math.ceil((2 * LIGHT_PER_NODE) / LIGHT_ACTOR_EVERY)
    const desks: string[] = []
    for (let i = 0; i < 2 * CORES_PER_NODE + lightActorCount; i++) {
      const res = await inbound(i % 2 === 0 ? 'a' : 'b', `desk-${i}`, phone(200 + i), `Desk ${i}: please help`)
      expect(res.status).toBe(201)
      desks.push(res.body.conversationId)
    }
    mark('desks made')
    // ---- The balancer's two addresses, and 50 clients: 25 behind each.
    const lbA = await startBalancer(() => [a.port, b.port])
    const lbB = await startBalancer(() => [b.port, a.port])
    balancers.push(lbA, lbB)
    const front = { a: lbA, b: lbB }
    for (const name of ['a', 'b'] as const) {
      for (let i = 0; i < CORES_PER_NODE; i++) {
        const dataDir = path.join(dir, `core-${name}${i}`)
        cores.push({ name: `core-${name}${i}`, dataDir, front: name, core: await createCore({ dataDir, serverUrl: front[name].url, token, batchSize: 500 }) })
      }
      for (let i = 0; i < LIGHT_PER_NODE; i++) lights.push(new LightClient(`light-${name}${i}`, front[name].url, token))
    }
    const lightFront = (client: LightClient): NodeName => (client.name.startsWith('light-a') ? 'a' : 'b')
    mark('clients made')
    await Promise.all(lights.map((c) => c.whenConnected()))
    await waitFor(
      'every client to hold the change log so far',
      async () => {
        const seq = await lastSeq()
        const states = await Promise.all(cores.map((c) => syncState(c.core)))
        return lights.every((c) => c.cursor === seq) && states.every((s) => s.status === 'online' && s.cursor === seq)
      },
      20_000,
      50,
    )
    // Behind each address, the node of that address.
    expect([...lbA.routed.values()].sort()).toEqual(Array(25).fill(a.port))
    expect([...lbB.routed.values()].sort()).toEqual(Array(25).fill(b.port))
    const setupMs = performance.now() - started

    // ---- Traffic on both nodes; node A killed in the middle of it.
    let running = true
    let stop: () => void = () => undefined
    const stopped = new Promise<void>((resolve) => (stop = resolve))
    /** A pause between requests that ends when the traffic stops. */
    const pause = (ms: number): Promise<void> => Promise.race([sleep(ms), stopped])
    halt = () => {
      running = false
      stop()
    }
    let killAt = Number.POSITIVE_INFINITY
    const deliveries = new Map<string, Delivery>()
    const resends: { externalId: string; original: Delivery; again: Omit<Delivery, 'externalId' | 'from'> }[] = []
    const unexpected: string[] = []

    /** One new webhook, retried until a node acknowledges it. */
    const deliver = async (home: NodeName, externalId: string, from: string): Promise<Delivery | null> => {
      const res = await inbound(home, externalId, from, `Message ${externalId}`)
      // A request cut off by the kill after node A committed it is answered "duplicate" by the
      // survivor when sent again: acknowledged all the same, with the item node A stored.
      const retriedAfterCommit = res.status === 200 && res.body.duplicate === true && res.attempts > 1
      if (res.status !== 201 && !retriedAfterCommit) {
        unexpected.push(`${externalId}: HTTP ${res.status} ${JSON.stringify(res.body)}`)
        return null
      }
      const delivery = { externalId, from, ...res }
      deliveries.set(externalId, delivery)
      return delivery
    }
    const webhookSender = async (home: NodeName, k: number): Promise<void> => {
      const mine: Delivery[] = []
      for (let i = 0; running; i++) {
        if (i % RESEND_EVERY === 2 && mine.length > 0) {
          // The same item again, as a provider resends one whose answer it missed.
          const original = mine[(i * 7) % mine.length]!
          const again = await inbound(home, original.externalId, original.from, `Message ${original.externalId}`)
          resends.push({ externalId: original.externalId, original, again })
        } else {
          const delivery = await deliver(home, `wh-${home}${k}-${i}`, phone(100 + ((k * 7 + i) % TRAFFIC_PHONES)))
          if (delivery) mine.push(delivery)
        }
        await pause(WEBHOOK_PAUSE_MS)
      }
    }

    const restNotes = new Map<string, { node: NodeName; ackedAt: number }>()
    const restNoter = async (): Promise<void> => {
      for (let i = 0; running; i++) {
        const conversations = [...deliveries.values()]
        if (conversations.length > 0) {
          const conversationId = conversations[(i * 13) % conversations.length]!.body.conversationId
          const noteId = newId()
          const res = await send(i % 2 === 0 ? 'a' : 'b', 'POST', `/api/v1/conversations/${conversationId}/notes`, token, { noteId, text: `REST note ${i}` })
          if (res.status !== 201) unexpected.push(`REST note ${noteId}: HTTP ${res.status} ${JSON.stringify(res.body)}`)
          else restNotes.set(noteId, { node: res.node, ackedAt: res.ackedAt })
        }
        await pause(REST_NOTE_PAUSE_MS)
      }
    }

    // Each acting client works on its own desk: reply, note, status (pending ⇄ open), label.
    const plans: ActorPlan[] = []
    const lightActors = lights.filter((_, i) => i % LIGHT_ACTOR_EVERY === 0)
    const planFor = (name: string, desk: string): ActorPlan => {
      const plan: ActorPlan = { name, desk, replies: [], notes: [], statuses: [], labels: [] }
      plans.push(plan)
      return plan
    }
    const lightActor = async (client: LightClient, plan: ActorPlan): Promise<void> => {
      for (let step = 0; running; step++) {
        const conversationId = plan.desk
        switch (step % 4) {
          case 0: {
            const messageId = newId()
            client.push('reply', { messageId, conversationId, text: `Reply ${step} from ${client.name}` })
            plan.replies.push({ id: messageId, ackedAt: null })
            break
          }
          case 1: {
            const noteId = newId()
            client.push('note', { noteId, conversationId, text: `Note ${step} from ${client.name}` })
            plan.notes.push(noteId)
            break
          }
          case 2: {
            const status = plan.statuses.length % 2 === 0 ? 'pending' : 'open'
            client.push('setStatus', { conversationId, status })
            plan.statuses.push(status)
            break
          }
          default: {
            const label = `${client.name}-${step}`
            client.push('label', { conversationId, add: [label] })
            plan.labels.push(label)
          }
        }
        await pause(ACTION_PAUSE_MS)
      }
    }
    const coreActor = async (core: Core, plan: ActorPlan, name: string): Promise<void> => {
      for (let step = 0; running; step++) {
        const conversationId = plan.desk
        switch (step % 4) {
          case 0: {
            const { messageId } = (await core.handle('conversation.reply', { conversationId, text: `Reply ${step} from ${name}` })) as { messageId: string }
            plan.replies.push({ id: messageId, ackedAt: null })
            break
          }
          case 1: {
            const { noteId } = (await core.handle('conversation.note', { conversationId, text: `Note ${step} from ${name}` })) as { noteId: string }
            plan.notes.push(noteId)
            break
          }
          case 2: {
            const status = plan.statuses.length % 2 === 0 ? 'pending' : 'open'
            await core.handle('conversation.setStatus', { conversationId, status })
            plan.statuses.push(status)
            break
          }
          default: {
            const label = `${name}-${step}`
            await core.handle('conversation.label', { conversationId, add: [label] })
            plan.labels.push(label)
          }
        }
        await pause(CORE_ACTION_PAUSE_MS)
      }
    }

    const lightPlans = lightActors.map((client, i) => ({ client, plan: planFor(client.name, desks[2 * CORES_PER_NODE + i]!) }))
    const corePlans = cores.map((c, i) => ({ c, plan: planFor(c.name, desks[i]!) }))
    const traffic: Promise<unknown>[] = [
      ...(['a', 'b'] as const).flatMap((home) => Array.from({ length: WEBHOOK_SENDERS_PER_NODE }, (_, k) => webhookSender(home, k))),
      restNoter(),
      ...lightPlans.map(({ client, plan }) => lightActor(client, plan)),
      ...corePlans.map(({ c, plan }) => coreActor(c.core, plan, c.name)),
    ]

    await sleep(PRE_KILL_MS)
    // Node A gets a burst of webhooks and pushes just before it dies, so some are surely in its
    // hands (queued, half written, or committed but not answered) when it is killed.
    const burst = Array.from({ length: 8 }, (_, j) => deliver('a', `wh-burst-${j}`, phone(100 + j)))
    for (const { client, plan } of lightPlans.filter(({ client }) => lightFront(client) === 'a')) {
      const label = `${client.name}-burst`
      client.push('label', { conversationId: plan.desk, add: [label] })
      plan.labels.push(label)
    }
    traffic.push(...burst)
    await sleep(15)
    alive.delete('a')
    killAt = performance.now()
    expect(await a.kill()).toBe('SIGKILL')
    const killedAtSeq = await lastSeq()
    const takeover = waitFor('the survivor to take the outbound lease over', () => holdsLease(b.url, 'outbound'), 30_000, 50).then(
      () => performance.now() - killAt,
      () => Number.NaN,
    )
    await sleep(POST_KILL_MS)
    halt()
    await Promise.all(traffic)
    const trafficEnd = performance.now()

    // ---- Quiet: every action sent and acknowledged, every reply after the kill delivered, every client caught up.
    await waitFor(
      'every client to have its actions acknowledged',
      async () => {
        await Promise.all(lights.map((c) => c.flush()))
        const states = await Promise.all(cores.map((c) => syncState(c.core)))
        return lights.every((c) => c.outbox.length === 0) && states.every((s) => s.pending === 0)
      },
      20_000,
      100,
    )
    for (const { client, plan } of lightPlans) {
      const acked = new Map(client.acked.map((m) => [m.name === 'reply' ? String(m.args.messageId) : '', m.ackedAt]))
      for (const reply of plan.replies) reply.ackedAt = acked.get(reply.id) ?? null
    }
    const afterKill = lightPlans.flatMap(({ plan }) => plan.replies.filter((r) => r.ackedAt !== null && r.ackedAt > killAt + 200).map((r) => r.id))
    const replyIds = plans.flatMap((p) => p.replies.map((r) => r.id))
    await waitFor(
      'every reply sent, and those committed after the kill delivered',
      async () => {
        const { rows } = await db.query<{ queued: string; delivered: string }>(
          `SELECT count(*) FILTER (WHERE delivery_status = 'queued') AS queued,
                  count(*) FILTER (WHERE delivery_status = 'delivered' AND id = ANY($2)) AS delivered
             FROM messages WHERE id = ANY($1)`,
          [replyIds, afterKill],
        )
        return Number(rows[0]!.queued) === 0 && Number(rows[0]!.delivered) === afterKill.length
      },
      20_000,
      100,
    )
    const takeoverMs = await takeover
    let quietSeq = -1
    let quietSince = performance.now()
    await waitFor(
      'the cluster to go quiet with every client caught up',
      async () => {
        const seq = await lastSeq()
        if (seq !== quietSeq) {
          quietSeq = seq
          quietSince = performance.now()
          return false
        }
        if (performance.now() - quietSince < 500) return false
        const states = await Promise.all(cores.map((c) => syncState(c.core)))
        return lights.every((c) => c.cursor === seq) && states.every((s) => s.status === 'online' && s.cursor === seq && s.pending === 0)
      },
      20_000,
      100,
    )
    const quietAt = performance.now()
    const metrics = await (await fetch(`${b.url}/metrics`)).text()
    const average = (name: string): string => {
      const sum = Number(new RegExp(`^${name}_sum (\\S+)$`, 'm').exec(metrics)?.[1])
      const count = Number(new RegExp(`^${name}_count (\\S+)$`, 'm').exec(metrics)?.[1])
      return `${((sum / count) * 1000).toFixed(0)} ms avg over ${count}`
    }
    const log = await pullChangeLog(b.url, token, 5_000)

    // ---- The report: timings, volumes, and the cross-node latency before the kill (webhook
    // acknowledged by one node → the message in the state of a client on the other).
    const movedLights = lights.filter((c) => lightFront(c) === 'a')
    const resentPushes = lightPlans.flatMap(({ client }) => client.acked.filter((m) => m.attempts > 1))
    const replyStatuses = await db.query<{ delivery_status: string; n: string }>(
      `SELECT delivery_status, count(*) AS n FROM messages WHERE id = ANY($1) GROUP BY delivery_status ORDER BY 1`,
      [replyIds],
    )
    const latencies: Record<'a→b' | 'b→a', number[]> = { 'a→b': [], 'b→a': [] }
    let censored = 0
    for (const delivery of deliveries.values()) {
      // What a node acknowledged at the first attempt, at least half a second before the kill.
      if (delivery.ackedAt >= killAt - 500 || delivery.attempts > 1) continue
      const direction = delivery.node === 'a' ? 'a→b' : 'b→a'
      for (const watcher of lights.filter((c) => lightFront(c) !== delivery.node)) {
        const seen = watcher.firstSeen.get(delivery.body.itemId)
        // A client of A that had not seen it when A died saw it only after moving: its latency
        // is counted as at least the time it had until the kill.
        if (direction === 'b→a' && (seen === undefined || seen > killAt)) {
          censored += 1
          latencies[direction].push(killAt - delivery.ackedAt)
          continue
        }
        if (seen === undefined) throw new Error(`${watcher.name} never saw ${delivery.externalId}`)
        // Negative when the poke beat the HTTP response back to this process: counted as 0.
        latencies[direction].push(Math.max(0, seen - delivery.ackedAt))
      }
    }
    const all = [...latencies['a→b'], ...latencies['b→a']]
    const webhookTimes = [...deliveries.values()].map((d) => d.ackedAt - d.sentAt)
    const pushTimes = lightPlans.flatMap(({ client }) => client.acked.filter((m) => m.attempts === 1).map((m) => m.ackedAt - m.queuedAt))
    const fmt = (values: number[]): string =>
      `n=${values.length} p50=${quantile(values, 0.5).toFixed(1)} ms p99=${quantile(values, 0.99).toFixed(1)} ms max=${Math.max(...values).toFixed(1)} ms`
    const actions = plans.reduce((n, p) => n + p.replies.length + p.notes.length + p.statuses.length + p.labels.length, 0)
    console.log(
      [
        `cluster-kill: setup ${(setupMs / 1000).toFixed(1)} s (${marks.join(', ')}), traffic ${((trafficEnd - killAt + PRE_KILL_MS) / 1000).toFixed(1)} s, ` +
          `quiet after ${((quietAt - trafficEnd) / 1000).toFixed(1)} s, total ${((quietAt - started) / 1000).toFixed(1)} s`,
        `  log: ${quietSeq} changes (${killedAtSeq} when node A was killed); ${log.length} visible to the agent`,
        `  webhooks: ${deliveries.size} stored, ${resends.length} resent on purpose; ` +
          `request time p50=${quantile(webhookTimes, 0.5).toFixed(0)} ms p99=${quantile(webhookTimes, 0.99).toFixed(0)} ms`,
        `  actions: ${actions} by ${plans.length} clients, ${restNotes.size} REST notes; ${resentPushes.length} pushes sent again after the kill cut them off ` +
          `(${resentPushes.filter((m) => m.outcome === 'duplicate').length} answered "duplicate": node A had applied them); ` +
          `push queued → acknowledged p50=${quantile(pushTimes, 0.5).toFixed(0)} ms p99=${quantile(pushTimes, 0.99).toFixed(0)} ms; ` +
          `${afterKill.length} replies acknowledged after the kill`,
        `  lightweight clients: ${lights.reduce((n, c) => n + c.pokes, 0)} pokes received, ${lights.reduce((n, c) => n + c.pulls, 0)} pages pulled`,
        `  node B's own timings: ingest ${average('threadline_ingest_seconds')}, pull ${average('threadline_pull_seconds')}`,
        `  retried requests: ${retried.length}${retried.length > 0 ? ` (e.g. ${retried[0]})` : ''}`,
        `  replies: ${replyStatuses.rows.map((r) => `${r.n} ${r.delivery_status}`).join(', ')}; the survivor took the outbound lease over ${(takeoverMs / 1000).toFixed(1)} s after the kill`,
        `  clients behind address A reconnected: ${movedLights.map((c) => c.connects - 1).join(',')} time(s) each`,
        `  cross-node latency, webhook acknowledged → in a client's state on the other node:`,
        `    A→B ${fmt(latencies['a→b'])}`,
        `    B→A ${fmt(latencies['b→a'])}`,
        `    all ${fmt(all)}${censored > 0 ? ` (${censored} pairs not seen by the kill, counted as seen at the kill)` : ''}`,
      ].join('\n'),
    )

    // ---- Node A died by the signal; B took every client.
    expect(a.child.signalCode).toBe('SIGKILL')
    expect(b.child.exitCode).toBeNull()
    expect([...lbA.routed.values(), ...lbB.routed.values()]).toEqual(Array(50).fill(b.port))
    expect(movedLights.every((c) => c.connects >= 2)).toBe(true)

    // ---- Every client's state is the database's change log, materialized.
    expect(log.at(-1)?.seq).toBe(quietSeq)
    const expected = canonical(materialize(log))
    const mismatched: string[] = []
    for (const client of lights) {
      const diff = differences(canonical(client.state), expected)
      if (client.cursor !== quietSeq || diff.length > 0) mismatched.push(`${client.name} (cursor ${client.cursor}): ${diff.slice(0, 5).join(', ')}`)
    }
    for (const { name, dataDir } of cores) {
      const cache = readCache(dataDir)
      const diff = [...differences(canonical(cache.server), expected), ...differences(canonical(cache.current), expected).map((d) => `current ${d}`)]
      if (cache.cursor !== quietSeq || diff.length > 0 || cache.outbox.pending + cache.outbox.failed > 0) {
        mismatched.push(`${name} (cursor ${cache.cursor}, outbox ${JSON.stringify(cache.outbox)}): ${diff.slice(0, 5).join(', ')}`)
      }
    }
    expect(mismatched).toEqual([])

    // ---- Webhooks: every acknowledged one stored, each externalId once, resends answered as duplicates.
    expect(unexpected).toEqual([])
    const stored = await db.query<{ external_id: string; id: string; n: string }>(
      `SELECT external_id, min(id) AS id, count(*) AS n FROM messages WHERE channel = 'sms' AND direction = 'inbound' AND external_id LIKE 'wh-%' GROUP BY external_id`,
    )
    expect(stored.rows.filter((r) => Number(r.n) !== 1)).toEqual([])
    const storedIds = new Map(stored.rows.map((r) => [r.external_id, r.id]))
    expect(new Set(storedIds.keys())).toEqual(new Set(deliveries.keys()))
    for (const [externalId, delivery] of deliveries) expect(storedIds.get(externalId), externalId).toBe(delivery.body.itemId)
    expect(resends.length).toBeGreaterThan(0)
    expect(resends.filter((r) => r.again.status !== 200 || r.again.body.duplicate !== true || r.again.body.itemId !== r.original.body.itemId)).toEqual([])
    // The change log holds each inbound message once too (as one entity, however often it changed).
    const inboundInLog = log.filter((c) => c.entity === 'message' && (c.data as { externalId?: string } | null)?.externalId?.startsWith('wh-'))
    expect(new Set(inboundInLog.map((c) => c.id)).size).toBe(deliveries.size)

    // ---- Agent actions: every acknowledged one applied, exactly once, in order.
    for (const { client } of lightPlans) {
      expect(client.acked.filter((m) => m.outcome === 'rejected'), client.name).toEqual([])
      const last = await db.query<{ last: string }>('SELECT last_mutation_id AS last FROM client_mutations WHERE client_id = $1', [client.clientId])
      expect(Number(last.rows[0]?.last), client.name).toBe(client.acked.at(-1)!.id)
    }
    const byDesk = (entity: string, desk: string): Change[] =>
      log.filter((c) => c.entity === entity && (c.data as { conversationId?: string } | null)?.conversationId === desk)
    for (const plan of plans) {
      const replies = byDesk('message', plan.desk).filter((c) => (c.data as { direction: string }).direction === 'outbound')
      expect(new Set(replies.map((c) => c.id)), `${plan.name} replies`).toEqual(new Set(plan.replies.map((r) => r.id)))
      const notes = new Set(byDesk('note', plan.desk).map((c) => c.id))
      expect(notes, `${plan.name} notes`).toEqual(new Set(plan.notes))
      const events = byDesk('event', plan.desk).map((c) => c.data as { type: string; actorId: string; data: { to?: string; added?: string[] } })
      expect(events.every((e) => e.actorId === agentId)).toBe(true)
      expect(events.filter((e) => e.type === 'status_changed').map((e) => e.data.to), `${plan.name} statuses`).toEqual(plan.statuses)
      expect(events.filter((e) => e.type === 'labels_changed').map((e) => e.data.added), `${plan.name} labels`).toEqual(plan.labels.map((l) => [l]))
      const desk = expected.get(`conversation:${plan.desk}`) as { labels: string[]; status: string }
      expect([...desk.labels].sort()).toEqual([...plan.labels].sort())
    }
    const restStored = await db.query<{ id: string }>('SELECT id FROM notes WHERE id = ANY($1)', [[...restNotes.keys()]])
    expect(new Set(restStored.rows.map((r) => r.id))).toEqual(new Set(restNotes.keys()))

    // ---- Outbound: the survivor took the sending over. No reply is left queued, none was sent
    // twice (by two nodes, or again after the takeover), each reply committed after the kill was
    // delivered exactly once, and a reply still only "sent" is one node A sent before it died
    // (the sandbox's delivery receipt died with it).
    expect(takeoverMs).toBeLessThan(30_000)
    expect(afterKill.length).toBeGreaterThan(0)
    const deliveryOf = (id: string): { seq: number; status: string }[] =>
      log.filter((c) => c.entity === 'message' && c.id === id).map((c) => ({ seq: c.seq, status: (c.data as { deliveryStatus: string }).deliveryStatus }))
    for (const id of replyIds) {
      const history = deliveryOf(id)
      expect(history.filter((h) => h.status === 'sent'), `reply ${id} sent once`).toHaveLength(1)
      expect(history.filter((h) => h.status === 'delivered').length, `reply ${id} delivered at most once`).toBeLessThanOrEqual(1)
      const final = (expected.get(`message:${id}`) as { deliveryStatus: string }).deliveryStatus
      if (final !== 'delivered') {
        expect(final, `reply ${id}`).toBe('sent')
        expect(history.find((h) => h.status === 'sent')!.seq, `reply ${id} left "sent" was sent before the kill`).toBeLessThanOrEqual(killedAtSeq)
      }
    }
    for (const id of afterKill) expect(deliveryOf(id).filter((h) => h.status === 'delivered'), `reply ${id} delivered once`).toHaveLength(1)

    // ---- Cross-node latency: printed above, bounded only loosely.
    expect(latencies['a→b'].length).toBeGreaterThanOrEqual(LIGHT_PER_NODE)
    expect(latencies['b→a'].length).toBeGreaterThanOrEqual(LIGHT_PER_NODE)
    expect(quantile(all, 0.99)).toBeLessThan(2_000)
  }, 90_000)
})
