/**
 * PostgreSQL's text cannot hold U+0000, and jsonb refuses the `\u0000` escape; SQLite keeps
 * both, and a customer's message, a mail's attachment name or a webhook's payload may carry one.
 * So the PostgreSQL store writes U+0000 as U+FFFF followed by "0", and U+FFFF itself (a
 * noncharacter, which no real text needs) as U+FFFF followed by "1", in every text parameter
 * and every string inside JSON, and reads them back. The mapping is one-to-one, so equality,
 * uniqueness and lookups are unchanged; only such rare strings sort or match LIKE differently.
 */

const MARK = '\uffff'
// eslint-disable-next-line no-control-regex -- U+0000 is the very character encoded
const NUL_OR_MARK = /[\u0000\uffff]/
// eslint-disable-next-line no-control-regex -- as above
const NUL_OR_MARK_ALL = /[\u0000\uffff]/g

export function encodeText(text: string): string {
  return NUL_OR_MARK.test(text) ? text.replace(NUL_OR_MARK_ALL, (c) => (c === MARK ? `${MARK}1` : `${MARK}0`)) : text
}

export function decodeText(text: string): string {
  return text.includes(MARK) ? text.replace(/\uffff([01])/g, (_, d: string) => (d === '1' ? MARK : '\u0000')) : text
}

/** JSON text a parameter carries into a json or jsonb column (a plain string is encoded as text). */
export class JsonText {
  constructor(readonly text: string) {}
}

/** `value` as a json/jsonb parameter; undefined (no JSON at all) becomes NULL, as in SQLite. */
export function jsonParam(value: unknown): JsonText | null {
  const text = JSON.stringify(value) as string | undefined
  return text === undefined ? null : new JsonText(text)
}

/**
 * JSON.stringify's text with each string's U+0000 (written as the escape `\u0000`) and U+FFFF
 * encoded as above. A lone surrogate (escaped as `\udXXX`, which jsonb refuses) becomes U+FFFD,
 * as it does in every text column of either engine. Other escapes are left as they are.
 */
export function encodeJsonText(json: string): string {
  if (!/\\u|\uffff/.test(json)) return json
  return json.replace(/\\(?:u[0-9a-fA-F]{4}|.)|\uffff/g, (token) => {
    if (token === MARK) return `${MARK}1`
    const escape = token.toLowerCase()
    if (escape === '\\u0000') return `${MARK}0`
    if (escape === '\\uffff') return `${MARK}1`
    if (/^\\ud[89a-f]/.test(escape)) return '\ufffd'
    return token
  })
}

/** The pool's parser for json and jsonb values. */
export function parseJson(json: string): unknown {
  const value: unknown = JSON.parse(json)
  return json.includes(MARK) ? decodeDeep(value) : value
}

function decodeDeep(value: unknown): unknown {
  if (typeof value === 'string') return decodeText(value)
  if (Array.isArray(value)) return value.map(decodeDeep)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [decodeText(k), decodeDeep(v)]))
  }
  return value
}

/** A query parameter as PostgreSQL may hold it: text encoded, JSON encoded inside its strings. */
export function encodeParam(value: unknown): unknown {
  if (typeof value === 'string') return encodeText(value)
  if (value instanceof JsonText) return encodeJsonText(value.text)
  if (Array.isArray(value)) return value.map(encodeParam)
  return value
}
