import { describe, expect, it } from 'vitest'
import { sanitizeHtml } from './sanitize-html'

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
