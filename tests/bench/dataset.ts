import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { User } from '../../src/shared/domain'
import { DEMO_AGENT_EMAIL, DEMO_INBOXES } from '../../src/server/demo/generate'
import { seedDemo } from '../../src/server/demo/seed'
import { startServer, type SyncServer } from '../../src/server/server'
import type { BenchSize } from './sizes'

/**
 * The server database a run measures against, built once per (seed, size, recipe) under
 * bench/data/ and reused: building the full size feeds ~2M steps through the real ingest
 * path and agent mutations and takes a while.
 */

/** Bump when the recipe below changes, so an old dataset is not mistaken for the new one. */
const RECIPE_VERSION = 5
/** The generated history ends here, so the same seed gives the same rows on any day. */
const HISTORY_END = Date.UTC(2026, 0, 1)
/** The long-timeline customer's messages come in conversations of this many. */
const HEAVY_CONVERSATION = 50

/** The thread key of the long-timeline customer's newest (open) conversation. */
export const heavyThreadKey = (messages: number): string => `bench-heavy-${Math.floor((messages - 1) / HEAVY_CONVERSATION)}`
export const HEAVY_NAME = 'Harper Longtimeline'

export interface Dataset {
  dir: string
  serverDb: string
  seed: number
  size: string
  recipeVersion: number
  historyEnd: number
  agentEmail: string
  counts: { customers: number; conversations: number; messages: number; lastSeq: number }
  heavy: { customerId: string; name: string; messages: number; openConversationId: string }
  build: { ms: number; demoMs: number; demoSteps: number; heavyMs: number; stepsPerSecond: number; fileBytes: number; builtAt: string }
}

export const BENCH_DIR = resolve(import.meta.dirname, '../../bench')

export function datasetDir(size: BenchSize, seed: number): string {
  return join(BENCH_DIR, 'data', `seed${seed}-${size.name}-r${RECIPE_VERSION}`)
}

/** The dataset for (size, seed): reused when a finished build exists, built otherwise. */
export async function ensureDataset(size: BenchSize, seed: number, log: (line: string) => void): Promise<Dataset & { reused: boolean }> {
  const dir = datasetDir(size, seed)
  const manifest = join(dir, 'dataset.json')
  if (existsSync(manifest)) {
    const dataset = JSON.parse(readFileSync(manifest, 'utf8')) as Omit<Dataset, 'dir' | 'serverDb'>
    return { ...dataset, dir, serverDb: join(dir, 'server.sqlite'), reused: true }
  }
  // Built aside and renamed when complete: an interrupted build is never reused.
  const building = `${dir}.building-${process.pid}`
  rmSync(building, { recursive: true, force: true })
  mkdirSync(building, { recursive: true })
  const dataset = await build(size, seed, building, log)
  renameSync(building, dir)
  return { ...dataset, dir, serverDb: join(dir, 'server.sqlite'), reused: false }
}

async function build(size: BenchSize, seed: number, dir: string, log: (line: string) => void): Promise<Dataset> {
  const serverDb = join(dir, 'server.sqlite')
  const server = await startServer({ dbPath: serverDb, logLevel: 'warn', outbound: 'none' })
  const started = performance.now()
  try {
    log(`building the ${size.name} dataset (seed ${seed}, ${size.customers.toLocaleString('en')} generated customers) in ${dir}`)
    const progress = setInterval(() => {
      void server.counts().then(
        (c) => log(`  … ${c.messages.toLocaleString('en')} messages, ${c.conversations.toLocaleString('en')} conversations after ${((performance.now() - started) / 1000).toFixed(0)} s`),
        () => {},
      )
    }, 30_000)
    let seeded
    try {
      seeded = await seedDataset(server, size, seed)
    } finally {
      clearInterval(progress)
    }
    const { demo, demoMs, heavy, heavyMs } = seeded
    const counts = await server.counts()
    await server.close()
    const ms = performance.now() - started
    const dataset: Dataset = {
      dir,
      serverDb,
      seed,
      size: size.name,
      recipeVersion: RECIPE_VERSION,
      historyEnd: HISTORY_END,
      agentEmail: DEMO_AGENT_EMAIL,
      counts,
      heavy,
      build: {
        ms,
        demoMs,
        demoSteps: demo.steps,
        heavyMs,
        stepsPerSecond: (demo.steps + size.heavyMessages) / (ms / 1000),
        fileBytes: statSync(serverDb).size,
        builtAt: new Date().toISOString(),
      },
    }
    // Where it lives is decided when it is read: the folder is renamed once complete.
    const { dir: _dir, serverDb: _serverDb, ...manifest } = dataset
    writeFileSync(join(dir, 'dataset.json'), JSON.stringify(manifest, null, 2))
    log(`built in ${(ms / 1000).toFixed(1)} s: ${JSON.stringify(counts)}`)
    return dataset
  } catch (err) {
    await server.close()
    throw err
  }
}

/**
 * The dataset's recipe fed through `server` (any store: the PostgreSQL scenarios replay it into
 * PostgreSQL when no copy of the SQLite store can be made). Entity ids are new on each replay;
 * the counts are the same.
 */
export async function seedDataset(
  server: SyncServer,
  size: BenchSize,
  seed: number,
): Promise<{ demo: { steps: number }; demoMs: number; heavy: Dataset['heavy']; heavyMs: number }> {
  const started = performance.now()
  const demo = await seedDemo(server, {
    seed,
    customers: size.customers,
    conversationsPerCustomer: size.conversationsPerCustomer,
    messagesPerConversation: size.messagesPerConversation,
    now: HISTORY_END - 10 * 60_000,
  })
  const demoMs = performance.now() - started
  const heavyStart = performance.now()
  const heavy = await seedHeavyCustomer(server, size.heavyMessages)
  return { demo, demoMs, heavy, heavyMs: performance.now() - heavyStart }
}

/**
 * One customer with a long history on web chat: conversations of 50 messages, each assigned
 * and, except the newest, resolved; the agent answers every fourth message. The newest
 * conversation is the most recent activity of the whole dataset, so it heads the inbox.
 */
async function seedHeavyCustomer(server: SyncServer, messages: number): Promise<Dataset['heavy']> {
  const agent = await server.findUserByEmail(DEMO_AGENT_EMAIL)
  if (!agent) throw new Error(`the demo agent ${DEMO_AGENT_EMAIL} is missing`)
  const span = 180 * 86_400_000
  const first = HISTORY_END - 60_000 - span
  const step = Math.floor(span / messages)
  let customerId = ''
  let conversationId = ''
  const act = async (user: User, name: 'assign' | 'setStatus' | 'reply', args: unknown, at: number): Promise<void> => {
    const result = await server.applyMutation(user, { name, args }, undefined, { at })
    if (result.outcome === 'rejected') throw new Error(`heavy customer: ${name} was rejected: ${result.error}`)
  }
  for (let i = 0; i < messages; i++) {
    const at = first + i * step
    const thread = Math.floor(i / HEAVY_CONVERSATION)
    const last = i === messages - 1
    if (i % 4 === 3 && conversationId && !last) {
      await act(agent, 'reply', { messageId: `bench-heavy-reply-${i}`, conversationId, text: `Reply ${i}: thanks, we are on it.` }, at)
    } else {
      const result = await server.ingest({
        channel: 'chat',
        inbox: DEMO_INBOXES.chat,
        externalId: `bench-heavy-${i}`,
        from: { kind: 'chat', address: 'bench-heavy-visitor', name: HEAVY_NAME },
        alsoKnownAs: [{ kind: 'email', address: 'harper.longtimeline@example.test', name: HEAVY_NAME }],
        threadKey: `bench-heavy-${thread}`,
        text: `Message ${i} about order #${10_000 + thread}: the parcel is still not here.`,
        sentAt: at,
      })
      if (result.conversationId !== conversationId) {
        conversationId = result.conversationId
        await act(agent, 'assign', { conversationId, assigneeId: agent.id, team: agent.team }, at + 1)
      }
      customerId = result.customerId
    }
    const closesThread = (i + 1) % HEAVY_CONVERSATION === 0 && !last
    if (closesThread) await act(agent, 'setStatus', { conversationId, status: 'resolved' }, at + 2)
  }
  return { customerId, name: HEAVY_NAME, messages, openConversationId: conversationId }
}
