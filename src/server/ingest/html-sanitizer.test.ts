import { afterEach, describe, expect, it } from 'vitest'
import { HtmlSanitizer } from './html-sanitizer'

const warnings: string[] = []
const log = { warn: (_obj: object, msg: string) => void warnings.push(msg) }
let sanitizer: HtmlSanitizer | null = null

afterEach(async () => {
  await sanitizer?.close()
  sanitizer = null
  warnings.length = 0
})

describe('HtmlSanitizer', () => {
  it('sanitizes in a worker thread', async () => {
    sanitizer = new HtmlSanitizer({ budgetMs: 10_000 }, log)
    expect(await sanitizer.prepare('<p onclick="x()">Hi <b>there</b><script>steal()</script></p>')).toEqual({
      html: '<p>Hi <b>there</b></p>',
      omitted: null,
    })
  })

  it('keeps only the words of a body that outlasts its budget, and goes on serving the next', async () => {
    sanitizer = new HtmlSanitizer({ budgetMs: 150 }, log)
    // About a second of sanitizing on this machine, well within the size and nesting limits.
    const slow = '<table><tr><td><span>Order <a href="https://shop.example/o">#1</a></span></td></tr></table>'.repeat(20_000)
    const result = await sanitizer.prepare(slow)
    expect(result).toMatchObject({ html: null, omitted: 'too_complex' })
    expect(result.omitted && result.text.startsWith('Order #1')).toBe(true)
    expect(warnings).toEqual(['HTML body not sanitized in time; keeping its text'])
    // The stopped worker's replacement starts loading at once; give it time to be ready.
    await new Promise((r) => setTimeout(r, 1_500))
    expect(await sanitizer.prepare('<i>next</i>')).toEqual({ html: '<i>next</i>', omitted: null })
  })
})
