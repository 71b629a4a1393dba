import sanitize from 'sanitize-html'

/**
 * Inbound HTML bodies are stored only after this allow-list pass: agents open customer mail in
 * the app, so nothing that can run, frame or restyle the page may survive. Remote images are
 * kept as links here; the renderer decides whether to load them.
 */
const OPTIONS: sanitize.IOptions = {
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
    a: sanitize.simpleTransform('a', { rel: 'noopener noreferrer nofollow', target: '_blank' }),
  },
}

export function sanitizeHtml(html: string): string {
  return sanitize(html, OPTIONS)
}
