import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer } from '../../src/server/server'
import { api } from './server-fixtures'

const root = path.resolve(import.meta.dirname, '../..')
let dir: string
let dbPath: string

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-cli-pw-'))
  dbPath = path.join(dir, 'server.sqlite')
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

/** Runs `npm run cli -- …` as a real process, with `input` piped to its standard input. */
function cli(input: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', ...args], {
      cwd: root,
      env: { ...process.env, THREADLINE_DB: dbPath },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(input)
  })
}

const signIn = (url: string, password: string) =>
  api(url, 'POST', '/api/v1/sessions', { body: { email: 'kim@example.com', password } })

describe('cli passwords', () => {
  it('sets a password when creating a user and changes it later; only a salted hash is stored', async () => {
    const created = await cli('first-password\n', 'user:create', '--name', 'Kim Lee', '--email', 'kim@example.com', '--role', 'agent', '--password')
    expect(created.code).toBe(0)
    expect(created.stdout).toMatch(/created agent Kim Lee <kim@example.com>.*can sign in with a password/)

    const tooShort = await cli('short\n', 'password:set', '--email', 'kim@example.com')
    expect(tooShort.code).toBe(1)
    expect(tooShort.stderr).toMatch(/at least 8 characters/)
    const unknown = await cli('whatever-long\n', 'password:set', '--email', 'nobody@example.com')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/no user with email nobody@example.com/)

    const changed = await cli('second-password\n', 'password:set', '--email', 'kim@example.com')
    expect(changed.code).toBe(0)

    const file = fs.readFileSync(dbPath)
    expect(file.includes(Buffer.from('first-password'))).toBe(false)
    expect(file.includes(Buffer.from('second-password'))).toBe(false)
    const server = await startServer({ dbPath, logLevel: 'silent' })
    try {
      expect((await signIn(server.url, 'first-password')).status).toBe(401)
      expect((await signIn(server.url, 'second-password')).status).toBe(201)
    } finally {
      await server.close()
    }
  })
})
