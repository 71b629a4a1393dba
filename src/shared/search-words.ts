/** The words of what the agent typed that a search looks for: runs of letters and digits, the first 16. */
export function typedWords(text: string): string[] {
  return (text.normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 16)
}

/**
 * A typed word this long or longer finds every word it begins; a shorter one finds that word
 * whole. The cache's search index keeps the three-character prefixes of every word; a one- or
 * two-letter prefix would merge the entries of a large part of the index, and indexing those
 * prefixes too would take a third more room.
 */
export const PREFIX_MIN_CHARS = 3

export function matchesAsPrefix(word: string): boolean {
  return [...word].length >= PREFIX_MIN_CHARS
}
