/**
 * Turns an email's HTML (already sanitized by the server) into the document of a sandboxed
 * iframe: no remote content unless the agent allowed it for this message (a remote image is
 * a read receipt and an IP leak), and quoted history and signatures removed unless unfolded.
 */

/** A grey picture frame; data: is the only image source the CSP allows besides our own. */
export const BLOCKED_IMAGE_SRC =
  'data:image/svg+xml,' +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="64" viewBox="0 0 96 64"><rect width="96" height="64" rx="6" fill="#eef0f3"/><path d="M30 44l12-14 9 10 6-6 9 10z" fill="#b5bcc6"/><circle cx="60" cy="24" r="5" fill="#b5bcc6"/></svg>',
  )

const REMOTE = /^\s*(https?:)?\/\//i
const REMOTE_URL_IN_CSS = /url\(\s*(['"]?)\s*(https?:)?\/\/[^)]*\)/gi
// The server's sanitizer keeps only these mail-client markers (and ids not at all), so a plain
// <blockquote> is the other usual trace of a quote.
const QUOTED = ['blockquote', '.gmail_quote', 'blockquote[type="cite"]', '.yahoo_quoted', '#divRplyFwdMsg', '#appendonsend', '.moz-cite-prefix']
const SIGNATURE = ['.gmail_signature', '.moz-signature', '#Signature']
/** Never useful in a read-only, script-less frame, whatever the server let through. */
const DROP = ['script', 'iframe', 'frame', 'object', 'embed', 'link', 'meta', 'base', 'form']

const ATTRIBUTION = /^\s*On\b[\s\S]*\bwrote:\s*$/

/** Quotes, the "On … wrote:" line above each, and signatures: outermost elements only. */
function foldedParts(doc: Document): Element[] {
  const parts = [...doc.querySelectorAll([...QUOTED, ...SIGNATURE].join(','))].filter((el) => !el.parentElement?.closest(QUOTED.join(',')))
  for (const quote of [...parts]) {
    const before = quote.previousElementSibling
    if (before && ATTRIBUTION.test(before.textContent ?? '')) parts.push(before)
  }
  return parts
}

export interface EmailDocument {
  srcdoc: string
  /** Remote images replaced by the placeholder. */
  blockedImages: number
  /** Quoted history or a signature was found (and removed unless shown). */
  hasFolded: boolean
  /** Roughly how many lines of text it shows, to size the frame (its contents cannot be measured from outside). */
  lines: number
}

export function emailDocument(html: string, options: { allowRemote: boolean; showFolded: boolean }): EmailDocument {
  const doc = new DOMParser().parseFromString(html, 'text/html')
  for (const el of doc.querySelectorAll(DROP.join(','))) el.remove()
  let blockedImages = 0
  if (!options.allowRemote) {
    for (const img of doc.querySelectorAll('img')) {
      const remote = REMOTE.test(img.getAttribute('src') ?? '') || REMOTE.test(img.getAttribute('srcset') ?? '')
      img.removeAttribute('srcset')
      if (!remote) continue
      img.setAttribute('src', BLOCKED_IMAGE_SRC)
      img.setAttribute('data-blocked', 'remote')
      img.setAttribute('alt', img.getAttribute('alt') || 'Remote image blocked')
      blockedImages++
    }
    for (const el of doc.querySelectorAll('[background]')) {
      if (REMOTE.test(el.getAttribute('background') ?? '')) el.removeAttribute('background')
    }
    for (const el of doc.querySelectorAll('[style]')) {
      el.setAttribute('style', (el.getAttribute('style') ?? '').replace(REMOTE_URL_IN_CSS, 'none'))
    }
    for (const style of doc.querySelectorAll('style')) style.textContent = (style.textContent ?? '').replace(REMOTE_URL_IN_CSS, 'none')
  }
  const folded = foldedParts(doc)
  const hasFolded = folded.length > 0
  if (!options.showFolded) for (const el of folded) el.remove()
  const text = doc.body.innerText ?? doc.body.textContent ?? ''
  const lines = text.split('\n').reduce((n, line) => n + Math.max(1, Math.ceil(line.length / 90)), 0) + doc.querySelectorAll('img').length * 4
  // The frame's own policy repeats the app's, so a sanitizer miss still cannot fetch or run anything.
  const imgSrc = options.allowRemote ? 'data: https:' : 'data:'
  const srcdoc =
    `<!doctype html><html><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${imgSrc}; style-src 'unsafe-inline'">` +
    `</head><body>${doc.body.innerHTML}</body></html>`
  return { srcdoc, blockedImages, hasFolded, lines }
}
