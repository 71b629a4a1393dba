import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SyncServer } from '../../src/server/server'
import { runCli } from './support/cli-process'
import { startTestServer, tempDir } from './support/sync-harness'

let dir: ReturnType<typeof tempDir>
let dbPath: string
let server: SyncServer

beforeEach(async () => {
  dir = tempDir('threadline-erasure-cli-')
  dbPath = join(dir.path, 'server.sqlite')
  server = await startTestServer(dbPath)
})

afterEach(async () => {
  await server.close()
  dir.remove()
})

describe('cli customers:erase, :restore, :erasures and :purge', () => {
  it('erases a customer, lists the erasure pending, restores it, and purges an erasure made --now', async () => {
    const { customerId } = await server.ingest({ channel: 'email', inbox: 'support', externalId: '<cli@erase.test>', from: { kind: 'email', address: 'cli@erase.test', name: 'Cleo Cli' }, text: 'hello' })
    const cli = (...args: string[]) => runCli(dbPath, ...args)

    const erased = await cli('customers:erase', customerId)
    expect(erased).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^erased customer ${customerId}; restorable until \\d{4}-`)) })
    expect((await cli('customers:erasures')).stdout).toMatch(new RegExp(`^${customerId}\\tCleo Cli\\terased .* by cli\\tpurged \\d{4}-`))
    expect((await cli('customers:erase', customerId)).stderr).toMatch(/already erased/)
    expect((await cli('customers:purge')).stdout).toMatch(/^purged 0 erased customer/)

    expect((await cli('customers:restore', customerId)).stdout).toMatch(new RegExp(`^restored customer ${customerId}: \\d+ rows`))
    expect((await cli('customers:erasures')).stdout).toMatch(/^no erasures pending/)

    expect((await cli('customers:erase', customerId, '--now')).stdout).toMatch(/purges them at its next pass/)
    expect((await cli('customers:purge')).stdout).toMatch(/^purged 1 erased customer/)
    expect((await cli('customers:restore', customerId)).stderr).toMatch(/no erasure of customer/)
    expect(await server.counts()).toMatchObject({ customers: 0, messages: 0 })
  })
})
