/** A field's column in the tables of every store and of the cache: the field in snake_case. */
export function columnName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}
