import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'

/**
 * Reads a new password for the CLI: typed twice without echo at a terminal, or the first line
 * of standard input when piped (`printf '%s\n' "$PASSWORD" | npm run cli -- password:set …`),
 * so it never appears in the process list or the shell history.
 */
export async function readNewPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) return firstLineOfStdin()
  const first = await askHidden(`${prompt}: `)
  const second = await askHidden('Type it again: ')
  if (first !== second) throw new Error('the two passwords differ')
  return first
}

async function firstLineOfStdin(): Promise<string> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
  for await (const line of lines) {
    lines.close()
    return line
  }
  throw new Error('no password on standard input')
}

function askHidden(question: string): Promise<string> {
  let muted = false
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stderr.write(chunk)
      done()
    },
  })
  const rl = createInterface({ input: process.stdin, output, terminal: true })
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close()
      process.stderr.write('\n')
      resolve(answer)
    })
    muted = true
  })
}
