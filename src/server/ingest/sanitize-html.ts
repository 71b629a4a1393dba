import type sanitize from 'sanitize-html'
import type { HtmlOmitted } from '../../shared/domain'

/**
 * Inbound HTML bodies are stored only after this allow-list pass: agents open customer mail in
 * the app, so nothing that can run, frame or restyle the page may survive. Remote images are
 * kept as links here; the renderer decides whether to load them.
 */
const OPTIONS = (simpleTransform: typeof sanitize.simpleTransform): sanitize.IOptions => ({
  allowedTags: [
    'a', 'abbr', 'b', 'blockquote', 'br', 'caption', 'code', 'dd', 'del', 'div', 'dl', 'dt', 'em',
    'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'img', 'ins', 'li', 'ol', 'p', 'pre', 'q', 's',
    'small', 'span', 'strike', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th',
    'thead', 'tr', 'u', 'ul',
  ],
  allowedAttributes: {
    // rel and target are always overwritten by the transform below.
    a: ['href', 'title', 'rel', 'target'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    td: ['colspan', 'rowspan'],
    th: ['colspan', 'rowspan'],
    ol: ['start'],
    blockquote: ['type'],
    '*': ['dir', 'lang'],
  },
  // Mail clients mark quoted history and signatures with these; the app folds them away.
  allowedClasses: {
    div: ['gmail_quote', 'gmail_signature', 'gmail_attr', 'yahoo_quoted', 'moz-cite-prefix', 'moz-signature'],
    span: ['gmail_signature'],
    blockquote: ['gmail_quote'],
  },
  allowedSchemes: ['http', 'https', 'mailto', 'tel', 'cid'],
  allowedSchemesAppliedToAttributes: ['href', 'src'],
  allowProtocolRelative: false,
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'iframe', 'xmp', 'noembed', 'noframes', 'svg', 'math', 'template', 'head'],
  transformTags: {
    a: simpleTransform('a', { rel: 'noopener noreferrer nofollow', target: '_blank' }),
  },
})

// The package (with the HTML and CSS parsers under it) loads with the first HTML to sanitize,
// not as the server starts: many servers see none for a while, and every start is timed.
let sanitizer: ((html: string) => string) | null = null
let loading: Promise<void> | null = null

/** Loads the sanitizer; sanitizeHtml and prepareHtml may be called once it has resolved. */
export function prepareSanitizer(): Promise<void> {
  loading ??= import('sanitize-html').then(({ default: sanitize }) => {
    const options = OPTIONS(sanitize.simpleTransform)
    sanitizer = (html) => sanitize(html, options)
  })
  return loading
}

export function sanitizeHtml(html: string): string {
  if (sanitizer === null) throw new Error('the HTML sanitizer is not ready: await prepareSanitizer() first')
  return sanitizer(html)
}

export type PreparedHtml =
  | { html: string; omitted: null }
  /** `text` is the HTML's words, for a message that came without a text part. */
  | { html: null; omitted: HtmlOmitted; text: string }

/**
 * Beyond these no mail client's HTML goes, and sanitizing gets slower than linearly with
 * nesting: 120,000 nested tags took half a minute. The time budget in html-sanitizer.ts catches
 * what these cheap checks cannot see.
 */
export const HTML_LIMITS = { maxChars: 2_000_000, maxDepth: 2_000 }

const VOID_TAGS = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr'])

/**
 * An upper bound on how deeply the tags nest, in one linear pass (no regular expression: a
 * pattern over `<…>` backtracks quadratically on a body of unclosed `<`). Tags a parser closes
 * implicitly (an unclosed `<p>`) count as open, so the bound errs on the safe side.
 */
export function nestingDepth(html: string): number {
  let depth = 0
  let max = 0
  let at = html.indexOf('<')
  while (at !== -1) {
    const end = html.indexOf('>', at + 1)
    if (end === -1) break
    const closing = html.charCodeAt(at + 1) === 47 /* / */
    const name = /^[a-zA-Z][a-zA-Z0-9-]*/.exec(html.slice(at + (closing ? 2 : 1), Math.min(end, at + 40)))?.[0].toLowerCase()
    if (name && !VOID_TAGS.has(name) && html.charCodeAt(end - 1) !== 47 /* / */) {
      if (closing) depth = Math.max(0, depth - 1)
      else max = Math.max(max, ++depth)
    }
    at = html.indexOf('<', end + 1)
  }
  return max
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }

/** The words of an HTML body in one linear pass: tags become spaces, common entities are decoded. */
export function textOfHtml(html: string, maxChars = 1_000_000): string {
  const parts: string[] = []
  let length = 0
  let from = 0
  while (from < html.length && length < maxChars) {
    const open = html.indexOf('<', from)
    const chunk = html.slice(from, open === -1 ? html.length : open)
    parts.push(chunk)
    length += chunk.length
    if (open === -1) break
    const close = html.indexOf('>', open + 1)
    if (close === -1) break
    parts.push(' ')
    from = close + 1
  }
  return parts
    .join('')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, code: string) => {
      if (code[0] !== '#') return ENTITIES[code.toLowerCase()] ?? entity
      const n = code[1] === 'x' || code[1] === 'X' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10)
      return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : entity
    })
    .replace(/[ \t\r\f\v]+/g, ' ')
    .replace(/\s*\n\s*/g, '\n')
    .trim()
    .slice(0, maxChars)
}

/** Sanitizes a sender's HTML unless it is beyond the limits, in which case only its words are kept. */
export function prepareHtml(html: string): PreparedHtml {
  if (html.length > HTML_LIMITS.maxChars) return { html: null, omitted: 'too_large', text: textOfHtml(html) }
  if (nestingDepth(html) > HTML_LIMITS.maxDepth) return { html: null, omitted: 'too_complex', text: textOfHtml(html) }
  return { html: sanitizeHtml(html), omitted: null }
}
