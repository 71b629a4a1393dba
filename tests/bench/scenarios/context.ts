import type http from 'node:http'
import { join, resolve } from 'node:path'
import type { SyncServer } from '../../../src/server/server'
import type { Dataset } from '../dataset'
import type { Row } from '../report'
import { startChild, type ChildHandle } from '../rpc'
import type { BenchOptions } from '../sizes'

/** What every scenario group gets: the running server on a copy of the dataset, and where to put results. */
export interface BenchContext {
  options: BenchOptions
  dataset: Dataset
  server: SyncServer
  /** API token of the demo agent the client core signs in as. */
  token: string
  /** Token of an integration that posts inbound items to the demo inboxes (agents' tokens may not). */
  integrationToken: string
  agent: http.Agent
  /** Scratch folder of this run (server copy, caches, renderer build). */
  runDir: string
  /** The client cache the initial sync fills and later groups reuse. */
  cacheDir: string
  rows: Row[]
  /** Figures that are not table rows (per-view inbox times, build time, …). */
  details: Record<string, unknown>
  log(line: string): void
}

const CHILDREN = resolve(import.meta.dirname, '../children')
export const PROFILE_DIR = resolve(import.meta.dirname, '../../../bench/profiles')

export function child(ctx: BenchContext, name: 'core-client' | 'host' | 'socket-clients' | 'http-load' | 'server-node'): ChildHandle {
  return startChild(join(CHILDREN, `${name}.ts`), {
    // One folder per part: node writes one profile per thread (tsx's loader thread too).
    execArgv: ctx.options.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, name)}`] : [],
  })
}
