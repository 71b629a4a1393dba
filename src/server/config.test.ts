import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, parseServerArgs } from './config'

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-config-'))
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

const writeConfig = (config: unknown): string => {
  const file = path.join(dir, 'config.json')
  fs.writeFileSync(file, JSON.stringify(config))
  return file
}

describe('loadConfig', () => {
  it('uses defaults when nothing is set', () => {
    expect(loadConfig({})).toEqual({
      dbPath: '.data/server.sqlite',
      databaseUrl: null,
      redisUrl: null,
      leaseRetryMs: 2000,
      host: '127.0.0.1',
      port: 4100,
      defaultCountry: 'US',
      channelSwitchWindowHours: 72,
      reopenWindowHours: 168,
      outbound: 'none',
      logLevel: 'info',
      publicUrl: null,
      inboxes: [],
      messagingRules: { promotionalRequiresOptIn: false, frequencyCaps: [], quietHours: null },
      trustProxy: false,
      tokenIdleDays: 30,
      tokenMaxDays: 90,
      erasureGraceDays: 30,
      erasurePurgeCheckMs: 3_600_000,
      auditRetentionDays: 730,
      slaPolicies: [],
      slaCheckMs: 30_000,
      summaryModelUrl: null,
      summaryModel: null,
      summaryModelKey: null,
      summaryModelTimeoutMs: 20_000,
      summaryModelRetries: 2,
      summaryModelConcurrency: 2,
      summaryModelDailyLimit: 2000,
      summaryTokenBudget: 12_000,
      summaryDebounceMs: 10_000,
      summaryMaxWaitMs: 120_000,
    })
  })

  it('reads the conversation windows in hours from the environment, and refuses nonsense with the setting named', () => {
    expect(loadConfig({ THREADLINE_CHANNEL_SWITCH_WINDOW_HOURS: '24', THREADLINE_REOPEN_WINDOW_HOURS: '0' })).toMatchObject({
      channelSwitchWindowHours: 24,
      reopenWindowHours: 0,
    })
    expect(() => loadConfig({ THREADLINE_REOPEN_WINDOW_HOURS: 'a week' })).toThrow(/reopenWindowHours \(env THREADLINE_REOPEN_WINDOW_HOURS\)/)
    expect(() => loadConfig({ THREADLINE_CHANNEL_SWITCH_WINDOW_HOURS: '100000' })).toThrow(/at most a year/)
  })

  it('takes the PostgreSQL URL from DATABASE_URL and refuses one that is not postgres://', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://threadline@db.internal:5432/threadline' })).toMatchObject({
      databaseUrl: 'postgres://threadline@db.internal:5432/threadline',
    })
    expect(() => loadConfig({ DATABASE_URL: 'mysql://db/threadline' })).toThrow(/databaseUrl \(env DATABASE_URL\): must be a postgres:\/\/ or postgresql:\/\/ URL/)
  })

  it('takes the Redis URL from REDIS_URL and refuses one that is not redis://', () => {
    expect(loadConfig({ REDIS_URL: 'redis://cache.internal:6379' })).toMatchObject({ redisUrl: 'redis://cache.internal:6379' })
    expect(() => loadConfig({ REDIS_URL: 'http://cache' })).toThrow(/redisUrl \(env REDIS_URL\): must be a redis:\/\/ or rediss:\/\/ URL/)
  })

  it('reads how often a node asks for a lease it does not hold, in milliseconds', () => {
    expect(loadConfig({ THREADLINE_LEASE_RETRY_MS: '250' })).toMatchObject({ leaseRetryMs: 250 })
    expect(() => loadConfig({ THREADLINE_LEASE_RETRY_MS: '0' })).toThrow(/leaseRetryMs \(env THREADLINE_LEASE_RETRY_MS\): must be at least 10/)
  })

  it('reads how long tokens last, in days, and refuses a lifetime that is not above zero', () => {
    expect(loadConfig({ THREADLINE_TOKEN_IDLE_DAYS: '7', THREADLINE_TOKEN_MAX_DAYS: '0.5' })).toMatchObject({ tokenIdleDays: 7, tokenMaxDays: 0.5 })
    expect(() => loadConfig({ THREADLINE_TOKEN_MAX_DAYS: '0' })).toThrow(/tokenMaxDays \(env THREADLINE_TOKEN_MAX_DAYS\): must be a number of days above 0/)
  })

  it('reads a config file (relative paths from its folder) and lets env vars override it', () => {
    const file = writeConfig({ dbPath: 'db/t.sqlite', port: 5000, defaultCountry: 'gb', outbound: 'none' })
    const config = loadConfig({ THREADLINE_CONFIG: file, THREADLINE_PORT: '6000' })
    expect(config).toMatchObject({ dbPath: path.join(dir, 'db/t.sqlite'), port: 6000, defaultCountry: 'GB', outbound: 'none' })
  })

  it('reads SLA policies from the file, naming a policy whose inbox is not configured', () => {
    const inbox = { name: 'Support', channel: 'email', connector: { type: 'imap-smtp' } }
    const policy = { name: 'Standard', inboxes: ['Support'], priorities: ['urgent'], firstResponseMinutes: 30 }
    expect(loadConfig({}, writeConfig({ inboxes: [inbox], slaPolicies: [policy] })).slaPolicies).toEqual([policy])
    expect(() => loadConfig({}, writeConfig({ inboxes: [inbox], slaPolicies: [{ ...policy, inboxes: ['Sales'] }] }))).toThrow(
      /slaPolicies \(config file .*\): SLA policy "Standard" names "Sales", which is no configured inbox/,
    )
    expect(() => loadConfig({}, writeConfig({ slaPolicies: [{ name: 'Empty' }] }))).toThrow(/SLA policy "Empty" sets no target/)
  })

  it('fails with a message naming the bad setting and where it came from', () => {
    expect(() => loadConfig({ THREADLINE_PORT: 'eighty' })).toThrow(/port \(env THREADLINE_PORT\)/)
    expect(() => loadConfig({ THREADLINE_OUTBOUND: 'smtp' })).toThrow(ConfigError)
    const file = writeConfig({ defaultCountry: 'XX' })
    expect(() => loadConfig({}, file)).toThrow(/defaultCountry \(config file .*\): must be a two-letter country code/)
  })

  it("reads trustProxy as off, on, or the proxies' addresses, and names a value it cannot read", () => {
    expect(loadConfig({ THREADLINE_TRUST_PROXY: 'true' }).trustProxy).toBe(true)
    expect(loadConfig({ THREADLINE_TRUST_PROXY: 'false' }).trustProxy).toBe(false)
    expect(loadConfig({ THREADLINE_TRUST_PROXY: '10.0.0.5, 10.1.0.0/16,loopback' }).trustProxy).toEqual(['10.0.0.5', '10.1.0.0/16', 'loopback'])
    expect(loadConfig({}, writeConfig({ trustProxy: ['::1', 'fd00::/8'] })).trustProxy).toEqual(['::1', 'fd00::/8'])
    expect(() => loadConfig({ THREADLINE_TRUST_PROXY: 'yes' })).toThrow(/trustProxy \(env THREADLINE_TRUST_PROXY\): "yes": must be false, true, or the proxies' addresses/)
    expect(() => loadConfig({}, writeConfig({ trustProxy: ['10.0.0.0/33'] }))).toThrow(/"10.0.0.0\/33": must be/)
  })

  it('reads the summary model and its limits from the environment', () => {
    const config = loadConfig({
      THREADLINE_SUMMARY_MODEL_URL: 'http://127.0.0.1:11434/v1',
      THREADLINE_SUMMARY_MODEL: 'llama3.1',
      THREADLINE_SUMMARY_MODEL_KEY: 'sk-test',
      THREADLINE_SUMMARY_MODEL_TIMEOUT_MS: '5000',
      THREADLINE_SUMMARY_MODEL_RETRIES: '0',
      THREADLINE_SUMMARY_MODEL_CONCURRENCY: '4',
      THREADLINE_SUMMARY_MODEL_DAILY_LIMIT: '100',
      THREADLINE_SUMMARY_TOKEN_BUDGET: '4000',
    })
    expect(config).toMatchObject({
      summaryModelUrl: 'http://127.0.0.1:11434/v1',
      summaryModel: 'llama3.1',
      summaryModelKey: 'sk-test',
      summaryModelTimeoutMs: 5000,
      summaryModelRetries: 0,
      summaryModelConcurrency: 4,
      summaryModelDailyLimit: 100,
      summaryTokenBudget: 4000,
    })
  })

  it('refuses a summary model URL without a model name, a URL that is not http, and limits out of range', () => {
    expect(() => loadConfig({ THREADLINE_SUMMARY_MODEL_URL: 'http://127.0.0.1:11434/v1' })).toThrow(
      /summaryModelUrl \(env THREADLINE_SUMMARY_MODEL_URL\): a summary model URL needs the model's name too: set summaryModel \(THREADLINE_SUMMARY_MODEL\)/,
    )
    expect(() => loadConfig({}, writeConfig({ summaryModelUrl: 'http://gpu.internal:8000/v1' }))).toThrow(/summaryModelUrl \(config file .*\): a summary model URL needs/)
    expect(() => loadConfig({ THREADLINE_SUMMARY_MODEL_URL: 'localhost:11434', THREADLINE_SUMMARY_MODEL: 'm' })).toThrow(/must be an http:\/\/ or https:\/\/ URL/)
    expect(() => loadConfig({ THREADLINE_SUMMARY_MODEL_CONCURRENCY: '0' })).toThrow(/summaryModelConcurrency \(env THREADLINE_SUMMARY_MODEL_CONCURRENCY\)/)
    expect(() => loadConfig({ THREADLINE_SUMMARY_MODEL_TIMEOUT_MS: '10' })).toThrow(/summaryModelTimeoutMs .*: must be at least 100/)
    expect(() => loadConfig({ THREADLINE_SUMMARY_TOKEN_BUDGET: 'lots' })).toThrow(/summaryTokenBudget \(env THREADLINE_SUMMARY_TOKEN_BUDGET\)/)
  })

  it('never shows the model key in an error', () => {
    expect(() => loadConfig({ THREADLINE_SUMMARY_MODEL_URL: 'ftp://x', THREADLINE_SUMMARY_MODEL_KEY: 'sk-secret-123' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('sk-secret-123') }),
    )
  })

  it('reads which inboxes are never sent to a model', () => {
    const file = writeConfig({
      inboxes: [
        { name: 'Legal', channel: 'email', connector: { type: 'imap' }, neverSendToModel: true },
        { name: 'Support', channel: 'email', connector: { type: 'imap' } },
      ],
    })
    expect(loadConfig({}, file).inboxes.map((i) => [i.name, i.neverSendToModel])).toEqual([
      ['Legal', true],
      ['Support', undefined],
    ])
    expect(() => loadConfig({}, writeConfig({ inboxes: [{ name: 'Legal', channel: 'email', connector: { type: 'imap' }, neverSendToModel: 'yes' }] }))).toThrow(
      /inboxes \(config file/,
    )
  })

  it('refuses unknown keys and unreadable files instead of ignoring them', () => {
    expect(() => loadConfig({}, writeConfig({ prot: 1 }))).toThrow(/unknown keys: prot/)
    expect(() => loadConfig({}, path.join(dir, 'missing.json'))).toThrow(/cannot read config file/)
    fs.writeFileSync(path.join(dir, 'bad.json'), '{ nope')
    expect(() => loadConfig({}, path.join(dir, 'bad.json'))).toThrow(/not valid JSON/)
  })
})

describe('parseServerArgs', () => {
  it('reads --config and --demo and rejects anything else with usage', () => {
    expect(parseServerArgs(['--config', 'x.json', '--demo'])).toEqual({ configFile: 'x.json', demo: true })
    expect(() => parseServerArgs(['--port', '1'])).toThrow(/usage: npm run server/)
  })
})
