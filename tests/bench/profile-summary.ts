import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

/**
 * Reads a V8 .cpuprofile (from `npm run bench -- --profile`, or node --cpu-prof) and prints
 * where the time went: self time per function, and inclusive time per function of this
 * repository (or whatever --match selects).
 *   npx tsx tests/bench/profile-summary.ts bench/profiles/core-client-….cpuprofile [--top 25] [--match src/]
 */

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, match: { type: 'string', default: '/src/' } },
})
const top = Number(values.top)
for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const selfUs = new Map<number, number>()
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  const label = (n: ProfileNode): string => {
    const url = n.callFrame.url.replace(/^file:\/\/.*?\/(node_modules|src|tests)\//, '$1/')
    return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`
  }
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  let total = 0
  for (const [id, us] of selfUs) {
    total += us
    const node = byId.get(id)!
    self.set(label(node), (self.get(label(node)) ?? 0) + us)
    // Count each function once per sample even when it recurses.
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!
      if (!n.callFrame.url.includes(values.match)) continue
      const key = label(n)
      if (seen.has(key)) continue
      seen.add(key)
      inclusive.set(key, (inclusive.get(key) ?? 0) + us)
    }
  }
  const pct = (us: number): string => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms`
  console.log(`\n# ${file}: ${(total / 1000).toFixed(0)} ms sampled`)
  console.log(`\n## self time`)
  for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${k}`)
  console.log(`\n## inclusive time, frames matching "${values.match}"`)
  for (const [k, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${k}`)
}
