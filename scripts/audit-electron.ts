import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/**
 * The Electron configuration audit: Electronegativity over src/, where it sees the whole desktop
 * app at once (the window's webPreferences, the CSP header and meta tag, the permission handler,
 * the navigation guards, the preload), then every finding checked against
 * electronegativity-accepted.json. Exits 1 on a finding nobody accepted, and on an acceptance
 * no finding needs any more, so the list stays the explanation of what the audit reports now.
 *
 * Run on the TypeScript sources rather than out/: the findings name the lines a developer
 * edits, and no build is needed first. The Electron version is passed in because the tool
 * cannot read it from a caret range; its defaults (sandbox, context isolation) depend on it.
 */

interface Acceptance {
  check: string
  /** The flagged file below the repository root, or "N/A" for an app-wide finding. */
  file: string
  /** Text of the flagged line; matches survive edits that only move the line. */
  code: string
  reason: string
}

interface Finding {
  check: string
  file: string
  line: number
  /** The flagged source line, trimmed. */
  code: string
  message: string
}

interface Sarif {
  runs: {
    results: {
      ruleId: string
      message: { text: string }
      locations?: { physicalLocation?: { artifactLocation?: { uri?: string }; region?: { startLine?: number } } }[]
    }[]
  }[]
}

const root = resolve(import.meta.dirname, '..')
const INPUT = 'src'
const ACCEPTED_FILE = 'electronegativity-accepted.json'

function electronVersion(): string {
  const require = createRequire(join(root, 'package.json'))
  return (require('electron/package.json') as { version: string }).version
}

function runElectronegativity(): Finding[] {
  const dir = mkdtempSync(join(tmpdir(), 'electronegativity-'))
  const output = join(dir, 'findings.sarif')
  try {
    const bin = join(root, 'node_modules', '.bin', 'electronegativity')
    execFileSync(bin, ['--input', INPUT, '--relative', '--electron-version', electronVersion(), '--output', output, '--verbose', 'false'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    const sarif = JSON.parse(readFileSync(output, 'utf8')) as Sarif
    return sarif.runs.flatMap((run) =>
      run.results.map((result): Finding => {
        const location = result.locations?.[0]?.physicalLocation
        const uri = location?.artifactLocation?.uri
        const line = location?.region?.startLine ?? 0
        const file = uri && uri !== 'N/A' ? `${INPUT}/${uri}` : 'N/A'
        const code = file === 'N/A' ? '' : (readFileSync(join(root, file), 'utf8').split('\n')[line - 1] ?? '').trim()
        return { check: result.ruleId, file, line, code, message: result.message.text }
      }),
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const matches = (a: Acceptance, f: Finding): boolean => a.check === f.check && a.file === f.file && f.code.includes(a.code)

const accepted = JSON.parse(readFileSync(join(root, ACCEPTED_FILE), 'utf8')) as Acceptance[]
const findings = runElectronegativity()
const unexplained = findings.filter((f) => !accepted.some((a) => matches(a, f)))
const stale = accepted.filter((a) => !findings.some((f) => matches(a, f)))

for (const f of findings) {
  const acceptance = accepted.find((a) => matches(a, f))
  console.log(`${acceptance ? 'accepted' : 'FINDING '}  ${f.check}  ${f.file}:${f.line}  ${f.message}`)
}
for (const a of stale) console.log(`STALE     ${a.check}  ${a.file}  "${a.code}": no finding matches this acceptance any more; remove it`)
console.log(`electronegativity: ${findings.length} findings, ${findings.length - unexplained.length} accepted, ${unexplained.length} unexplained, ${stale.length} stale acceptances`)
if (unexplained.length > 0) {
  console.log(`Fix each unexplained finding, or accept it in ${ACCEPTED_FILE} with the reason (and in docs/security.md).`)
}
process.exitCode = unexplained.length > 0 || stale.length > 0 ? 1 : 0
