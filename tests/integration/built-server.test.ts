import { execFile, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildServer } from '../../scripts/build-server'
import { api } from './server-fixtures'
import { eventually } from './support/eventually'

const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, '../..')

let outDir: string
let dataDir: string
let configFile: string
let child: ChildProcess
let url: string
let output = ''

/**
 * The environment of a production process: no THREADLINE_* settings from the test run, and no
 * NODE_OPTIONS that could bring a TypeScript loader along.
 */
function plainEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const name of Object.keys(env)) if (name.startsWith('THREADLINE_') || name === 'NODE_OPTIONS') delete env[name]
  return env
}

/** The built CLI against the test database, as `npm run cli` runs it; returns its last line of output. */
async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(outDir, 'server/cli.js'), ...args], {
    cwd: dataDir,
    env: { ...plainEnv(), THREADLINE_CONFIG: configFile },
  })
  return stdout.trim().split('\n').at(-1) ?? ''
}

beforeAll(async () => {
  // Inside the project, so the bundles load their production dependencies from its node_modules.
  fs.mkdirSync(path.join(root, '.tmp'), { recursive: true })
  outDir = fs.mkdtempSync(path.join(root, '.tmp', 'built-server-'))
  await buildServer(outDir)

  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-built-'))
  configFile = path.join(dataDir, 'config.json')
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      dbPath: path.join(dataDir, 'server.sqlite'),
      host: '127.0.0.1',
      port: 0,
      logLevel: 'warn',
      inboxes: [
        { name: 'Website chat', channel: 'chat', connector: { type: 'webchat', secret: 'built-server-secret-0123456789abcdef', allowedOrigins: ['*'] } },
      ],
    }),
  )
  // Started from elsewhere than the project: the built server finds its worker and widget itself.
  child = spawn(process.execPath, [path.join(outDir, 'server/main.js'), '--config', configFile], { cwd: dataDir, env: plainEnv() })
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  url = await eventually(async () => /listening on (http:\/\/\S+)/.exec(output)?.[1], 'the built server to start', 30_000)
})

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
  for (const dir of [outDir, dataDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

describe('the built server', () => {
  it('runs on plain node, without a TypeScript loader', async () => {
    expect(child.spawnargs.slice(1)).toEqual([path.join(outDir, 'server/main.js'), '--config', configFile])
    const health = await api(url, 'GET', '/health')
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } })
  })

  it('sanitizes an HTML email posted through REST in its built worker', async () => {
    await cli('user:create', '--name', 'Alex Morgan', '--email', 'alex@example.com', '--role', 'agent')
    const token = await cli('token:create', '--email', 'alex@example.com')
    const integration = await cli('integration:create', '--name', 'Mail relay', '--inboxes', 'support')

    const posted = await api(url, 'POST', '/api/v1/inbound', {
      token: integration,
      body: {
        channel: 'email',
        inbox: 'support',
        externalId: '<built-1@mail>',
        from: { kind: 'email', address: 'jane@example.com', name: 'Jane Roe' },
        subject: 'Broken kettle',
        text: 'Hi there',
        html: '<p onclick="steal()">Hi <b>there</b><script>steal()</script></p>',
      },
    })
    expect(posted.status).toBe(201)
    const messages = await api(url, 'GET', `/api/v1/conversations/${posted.body.conversationId}/messages`, { token })
    expect(messages.body.items).toMatchObject([{ html: '<p>Hi <b>there</b></p>', htmlOmitted: null }])
  })

  it('serves the prebuilt chat widget', async () => {
    const res = await fetch(`${url}/widget.js`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/javascript/)
    expect(await res.text()).toBe(fs.readFileSync(path.join(outDir, 'server/widget.js'), 'utf8'))
  })
})
