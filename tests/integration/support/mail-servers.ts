import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { SMTPServer } from 'smtp-server'

/**
 * Real mail peers for the email connector's tests: Debian's Dovecot as the IMAP server, run
 * from a private config on loopback, and an SMTP server (the smtp-server package) that
 * captures what the connector sends. scripts/install-test-deps.sh installs Dovecot.
 */

const DOVECOT_BINARIES = ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot']

export interface MailAccount {
  user: string
  password: string
}

export interface DovecotServer {
  host: string
  port: number
  account: MailAccount
  /** Delivers a raw message straight into the account's Maildir, as a local delivery agent does. */
  deliver(raw: string | Buffer): void
  /** Drops every client connection, stops the server and waits for it to be gone. */
  kill(): Promise<void>
  /** Starts it again on the same port and mail store. */
  start(): Promise<void>
  /** How many IMAP logins Dovecot has logged so far (each connection of the connector logs in once). */
  logins(): number
  cleanup(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

async function waitForGreeting(port: number, child: ChildProcess, logFile: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null) {
      const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''
      throw new Error(`dovecot exited with code ${child.exitCode}:\n${log}`)
    }
    const greeted = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      socket.setTimeout(1_000)
      socket.once('data', (d) => {
        socket.destroy()
        resolve(d.toString().startsWith('* OK'))
      })
      socket.once('error', () => resolve(false))
      socket.once('timeout', () => {
        socket.destroy()
        resolve(false)
      })
    })
    if (greeted) return
    if (Date.now() > deadline) throw new Error(`dovecot did not answer on 127.0.0.1:${port} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * Who owns the mail. Dovecot refuses mail access as root, so as root the mail belongs to the
 * Debian `mail` user (uid 8, hence first_valid_uid lowered to it); as anyone else Dovecot runs
 * rootless and everything belongs to that user.
 */
function mailOwner(): { uid: number; gid: number; user: string; group: string; root: boolean } {
  const root = process.getuid?.() === 0
  if (root) {
    const id = (flag: string): number => Number(spawnSync('id', [flag, 'mail'], { encoding: 'utf8' }).stdout.trim())
    return { uid: id('-u'), gid: id('-g'), user: 'mail', group: 'mail', root }
  }
  const info = os.userInfo()
  const group = spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim()
  return { uid: info.uid, gid: info.gid, user: info.username, group, root }
}

export async function startDovecot(account: MailAccount = { user: 'support@threadline.test', password: 'imap-secret' }): Promise<DovecotServer> {
  const binary = DOVECOT_BINARIES.find((b) => fs.existsSync(b))
  if (!binary) throw new Error('dovecot is not installed: run scripts/install-test-deps.sh (apt-get install -y dovecot-imapd)')
  const doveadm = path.join(path.dirname(binary), '../bin/doveadm')
  const owner = mailOwner()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-dovecot-'))
  // The mail user must reach its Maildir inside the temp folder.
  fs.chmodSync(dir, 0o755)
  const home = path.join(dir, 'home')
  const maildir = path.join(home, 'Maildir')
  for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(maildir, sub), { recursive: true })
  for (const p of [home, maildir, ...['cur', 'new', 'tmp'].map((s) => path.join(maildir, s))]) fs.chownSync(p, owner.uid, owner.gid)
  fs.mkdirSync(path.join(dir, 'run'))
  fs.mkdirSync(path.join(dir, 'state'))
  const passwd = path.join(dir, 'passwd')
  // Read by Dovecot's unprivileged auth process; it holds only this throwaway test account.
  fs.writeFileSync(passwd, `${account.user}:{PLAIN}${account.password}:${owner.uid}:${owner.gid}::${home}\n`, { mode: 0o644 })
  const logFile = path.join(dir, 'dovecot.log')
  const port = await freePort()
  const configFile = path.join(dir, 'dovecot.conf')
  const rootless = owner.root
    ? ''
    : `default_internal_user = ${owner.user}\ndefault_internal_group = ${owner.group}\ndefault_login_user = ${owner.user}\n` +
      'service anvil {\n  chroot =\n}\nservice imap-login {\n  chroot =\n}\n'
  fs.writeFileSync(
    configFile,
    `# Private test instance: loopback only, plaintext auth, one passwd-file account.
protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${logFile}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = ${owner.uid}
last_valid_uid = 0
first_valid_gid = ${owner.gid}
mail_location = maildir:~/Maildir
mail_privileged_group =
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${passwd}
}
userdb {
  driver = passwd-file
  args = username_format=%u ${passwd}
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
${rootless}`,
  )

  let child: ChildProcess | null = null
  const start = async (): Promise<void> => {
    // -F keeps the master in the foreground, so it is this test's own child to stop.
    const proc = spawn(binary, ['-F', '-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] })
    proc.stderr?.on('data', (d: Buffer) => fs.appendFileSync(logFile, d))
    child = proc
    // A test process that dies without cleanup must not leave its Dovecot running.
    const onExit = (): void => {
      proc.kill('SIGKILL')
    }
    process.once('exit', onExit)
    proc.once('exit', () => process.off('exit', onExit))
    await waitForGreeting(port, proc, logFile)
  }
  const kill = async (): Promise<void> => {
    const proc = child
    child = null
    if (!proc || proc.exitCode !== null) return
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
    // Dovecot lets running IMAP sessions outlive their master for a while; kick them first so
    // every client sees its connection drop now, as when the server is restarted.
    const kicked = spawnSync(doveadm, ['-c', configFile, 'kick', account.user], { encoding: 'utf8' })
    if (kicked.status !== 0 && !/no users/i.test(kicked.stdout + kicked.stderr)) {
      throw new Error(`doveadm kick failed: ${kicked.stderr || kicked.stdout}`)
    }
    proc.kill('SIGTERM')
    await exited
    // The master's children (login, imap) die when they lose it; wait until nothing answers.
    for (let i = 0; i < 100; i++) {
      const open = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1')
        s.once('connect', () => {
          s.destroy()
          resolve(true)
        })
        s.once('error', () => resolve(false))
      })
      if (!open) break
      await new Promise((r) => setTimeout(r, 50))
    }
    // In case the master did not get to remove it: a fresh start refuses to run over a pid file.
    fs.rmSync(path.join(dir, 'run', 'master.pid'), { force: true })
  }

  let sequence = 0
  const deliver = (raw: string | Buffer): void => {
    // Maildir delivery: write under tmp/, then rename into new/ so Dovecot never sees half a file.
    const name = `${Date.now()}.${process.pid}_${++sequence}.${randomUUID()}.threadline-test`
    const tmp = path.join(maildir, 'tmp', name)
    fs.writeFileSync(tmp, raw)
    fs.chownSync(tmp, owner.uid, owner.gid)
    fs.renameSync(tmp, path.join(maildir, 'new', name))
  }

  await start()
  return {
    host: '127.0.0.1',
    port,
    account,
    deliver,
    kill,
    start,
    logins: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').match(/imap-login: Info: Login: /g)?.length ?? 0 : 0),
    async cleanup() {
      await kill()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface CapturedMail {
  from: string
  to: string[]
  raw: Buffer
}

export interface SmtpCapture {
  port: number
  user: string
  password: string
  received: CapturedMail[]
  /** The next RCPT TO for this address is refused with a 550, once. */
  refuseNext(address: string): void
  close(): Promise<void>
}

/** An SMTP server on loopback that requires AUTH and keeps every message it accepts. */
export async function startSmtpCapture(): Promise<SmtpCapture> {
  const user = 'smtp-user'
  const password = 'smtp-secret'
  const received: CapturedMail[] = []
  const refused = new Set<string>()
  const server = new SMTPServer({
    // Plain loopback: no certificate to trust, so no STARTTLS; AUTH over it needs the flag below.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) return callback(null, { user })
      return callback(new Error('invalid credentials'))
    },
    onRcptTo(address, _session, callback) {
      if (refused.delete(address.address.toLowerCase())) {
        const err = Object.assign(new Error(`mailbox ${address.address} unavailable`), { responseCode: 550 })
        return callback(err)
      }
      callback()
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
        })
        callback()
      })
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.server.address() as net.AddressInfo
  return {
    port,
    user,
    password,
    received,
    refuseNext: (address) => refused.add(address.toLowerCase()),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** The `connector` settings of an `imap-smtp` inbox reading this Dovecot account and sending through this SMTP capture. */
export function emailConnector(dovecot: DovecotServer, smtp: SmtpCapture, fromName: string) {
  return {
    type: 'imap-smtp',
    imap: { host: dovecot.host, port: dovecot.port, secure: false, user: dovecot.account.user, password: dovecot.account.password },
    smtp: { host: '127.0.0.1', port: smtp.port, secure: false, user: smtp.user, password: smtp.password },
    from: { address: dovecot.account.user, name: fromName },
  }
}
