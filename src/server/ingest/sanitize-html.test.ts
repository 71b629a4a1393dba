import { beforeAll, describe, expect, it } from 'vitest'
import { HTML_LIMITS, nestingDepth, prepareHtml, prepareSanitizer, sanitizeHtml, textOfHtml } from './sanitize-html'

beforeAll(prepareSanitizer)

describe('sanitizeHtml', () => {
  it('keeps ordinary formatting', () => {
    expect(sanitizeHtml('<p>Hello <b>there</b>,<br />see <a href="https://x.test/a?b=1&amp;c=2">this</a></p>')).toBe(
      '<p>Hello <b>there</b>,<br />see <a href="https://x.test/a?b=1&amp;c=2" rel="noopener noreferrer nofollow" target="_blank">this</a></p>',
    )
  })

  it('removes scripts and styles with their content', () => {
    expect(sanitizeHtml('<div>a<script>alert(1)</script>b<style>p{}</style>c<SCRIPT src=x></SCRIPT></div>')).toBe('<div>abc</div>')
  })

  it('removes event handlers and unknown attributes', () => {
    expect(sanitizeHtml('<p onclick="steal()" style="x" class="y">hi</p><img src="https://x.test/i.png" onerror="bad()">')).toBe(
      '<p>hi</p><img src="https://x.test/i.png" />',
    )
  })

  it('drops javascript: and other unsafe URLs, however they are disguised', () => {
    for (const href of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'java\tscript:alert(1)', 'jav&#x61;script:alert(1)', ' javascript:x', 'data:text/html,<b>', 'vbscript:x']) {
      expect(sanitizeHtml(`<a href="${href}">x</a>`)).toBe('<a rel="noopener noreferrer nofollow" target="_blank">x</a>')
    }
  })

  it('drops comments, doctypes and embedded documents', () => {
    expect(sanitizeHtml('<!DOCTYPE html><!-- secret --><iframe src="https://evil"></iframe><svg><script>x</script></svg>ok')).toBe('ok')
  })

  it('escapes stray angle brackets and closes what was left open', () => {
    expect(sanitizeHtml('1 < 2 and 3 > 2 <b>bold <i>both')).toBe('1 &lt; 2 and 3 &gt; 2 <b>bold <i>both</i></b>')
  })

  it('re-escapes attribute values so they cannot break out', () => {
    expect(sanitizeHtml(`<img alt='"><script>x</script>'>`)).toBe('<img alt="&quot;&gt;&lt;script&gt;x&lt;/script&gt;" />')
  })

  it("keeps the markers mail clients put on quotes and signatures, and no other class", () => {
    expect(sanitizeHtml('<div class="gmail_signature evil">Sam</div><blockquote type="cite" class="x">old</blockquote>')).toBe(
      '<div class="gmail_signature">Sam</div><blockquote type="cite">old</blockquote>',
    )
  })
})

describe('prepareHtml', () => {
  it('sanitizes ordinary mail', () => {
    expect(prepareHtml('<p>Hi<script>x</script></p>')).toEqual({ html: '<p>Hi</p>', omitted: null })
  })

  it('keeps only the words of a body nested deeper than any mail client writes', () => {
    expect(prepareHtml('<p>' + '<b>'.repeat(120_000) + 'x</p>')).toEqual({ html: null, omitted: 'too_complex', text: 'x' })
  })

  it('keeps only the words of a body over the size limit', () => {
    const html = '<p>a &amp; b</p>'.repeat(HTML_LIMITS.maxChars / 10)
    const result = prepareHtml(html)
    expect(result).toMatchObject({ html: null, omitted: 'too_large' })
    expect(result.omitted && result.text.slice(0, 12)).toBe('a & b a & b ')
  })
})

describe('nestingDepth', () => {
  it('counts open elements, not void or self-closed ones', () => {
    expect(nestingDepth('<div><p>a<br>b<img src="x"/><span/></p><p>c</p></div>')).toBe(2)
    expect(nestingDepth('<table><tr><td><b>x</b></td></tr></table>')).toBe(4)
  })

  it('reads a body of unclosed angle brackets in one pass', () => {
    expect(nestingDepth('<a'.repeat(1_000_000))).toBe(0)
    expect(nestingDepth('<b>'.repeat(500_000))).toBe(500_000)
  })
})

describe('textOfHtml', () => {
  it('turns tags into spaces and decodes entities', () => {
    expect(textOfHtml('<p>Fish &amp; chips</p><p>&#8364;5 &lt;each&gt;&nbsp;&#x263A;</p>')).toBe('Fish & chips €5 <each> ☺')
  })

  it('stops at the limit', () => {
    expect(textOfHtml('<i>word</i> '.repeat(1_000), 20)).toBe('word word word word')
  })
})
