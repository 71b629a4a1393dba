import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api } from './server-fixtures'
import { eventually } from './support/eventually'
import { postTwilioForm } from './support/fake-provider'

const root = path.resolve(import.meta.dirname, '../..')
/** What requests carry and the log must never show. */
const SECRET = {
  verifyToken: 'verify-token-never-logged',
  guessedVerifyToken: 'a-guessed-verify-token',
  typedEmail: 'someone.private@example.com',
  bearer: 'tl_bearer-token-never-logged',
  querySignature: 'query-signature-never-logged',
}
const PUBLIC_URL = 'https://threadline.example.test'
const PATHS = { whatsapp: '/webhooks/wa-main/whatsapp', sms: '/webhooks/sms-main/sms' }

let dir: string
let child: ChildProcess
let url: string
let output = ''

/** The server as `npm run server` runs it, logging at info to its stdout, which the test reads. */
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-logs-'))
  const configFile = path.join(dir, 'config.json')
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      dbPath: 'server.sqlite',
      host: '127.0.0.1',
      port: 0,
      logLevel: 'info',
      publicUrl: PUBLIC_URL,
      inboxes: [
        {
          name: 'wa-main',
          channel: 'whatsapp',
          connector: { type: 'whatsapp-cloud', phoneNumberId: '1065', accessToken: 'a', appSecret: 's', verifyToken: SECRET.verifyToken },
        },
        { name: 'sms-main', channel: 'sms', connector: { type: 'twilio-sms', accountSid: 'AC1', authToken: 'twilio-auth', from: '+15005550006' } },
      ],
    }),
  )
  const env = { ...process.env }
  for (const name of Object.keys(env)) if (name.startsWith('THREADLINE_')) delete env[name]
  child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts', '--config', configFile], { cwd: root, env })
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  url = await eventually(async () => /listening on (http:\/\/\S+)/.exec(output)?.[1], 'the server to start', 30_000)
})

afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
  fs.rmSync(dir, { recursive: true, force: true })
})

interface LogEntry {
  msg?: string
  req?: { url?: string }
}

const entries = (): LogEntry[] =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogEntry)

/** Waits until the log has an entry passing `match`: the log is written as the requests are handled. */
const logged = (what: string, match: (entry: LogEntry) => boolean) => eventually(async () => entries().find(match), what)

describe('server log', () => {
  it('logs the WhatsApp verification request without the verify token or any other query value', async () => {
    const query = 'hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token='
    const accepted = await fetch(`${url}${PATHS.whatsapp}?${query}${SECRET.verifyToken}`)
    expect([accepted.status, await accepted.text()]).toEqual([200, '1158201444'])
    expect((await fetch(`${url}${PATHS.whatsapp}?${query}${SECRET.guessedVerifyToken}`)).status).toBe(403)

    const requests = await eventually(
      async () => {
        const found = entries().filter((e) => e.msg === 'incoming request' && e.req?.url?.startsWith(PATHS.whatsapp))
        return found.length === 2 && found
      },
      'both verification requests to be logged',
    )
    expect(requests.map((e) => e.req?.url)).toEqual([
      `${PATHS.whatsapp}?hub.mode=[redacted]&hub.challenge=[redacted]&hub.verify_token=[redacted]`,
      `${PATHS.whatsapp}?hub.mode=[redacted]&hub.challenge=[redacted]&hub.verify_token=[redacted]`,
    ])
    await logged('the refusal', (e) => e.msg?.includes('wrong hub.verify_token') ?? false)
    expect(output).not.toContain(SECRET.verifyToken)
    expect(output).not.toContain(SECRET.guessedVerifyToken)
    expect(output).not.toContain('1158201444')
  })

  it('logs a refused sign-in without the email that was typed', async () => {
    const res = await api(url, 'POST', '/api/v1/sessions', { body: { email: SECRET.typedEmail, password: 'not the password' } })
    expect(res.status).toBe(401)
    await logged('the refusal', (e) => e.msg?.startsWith('sign-in refused') ?? false)
    expect(output).not.toContain(SECRET.typedEmail)
  })

  it('logs a request with a bearer token without its Authorization header', async () => {
    expect((await api(url, 'GET', '/api/v1/me', { token: SECRET.bearer })).status).toBe(401)
    await logged('the request', (e) => e.req?.url === '/api/v1/me')
    expect(output).not.toContain(SECRET.bearer)
  })

  it('logs a refused webhook, and why, without the values in its query', async () => {
    const path = `${PATHS.sms}?signature=${SECRET.querySignature}`
    const res = await postTwilioForm(url, PUBLIC_URL, path, { MessageSid: 'SM1', From: '+12025550143' }, 'twilio-auth', { signature: 'not-a-signature' })
    expect(res.status).toBe(403)
    await logged('the refusal', (e) => e.msg?.startsWith('SMS webhook refused') ?? false)
    expect(entries().filter((e) => e.req?.url?.startsWith(PATHS.sms)).map((e) => e.req?.url)).toEqual([`${PATHS.sms}?signature=[redacted]`])
    expect(output).not.toContain(SECRET.querySignature)
  })
})
