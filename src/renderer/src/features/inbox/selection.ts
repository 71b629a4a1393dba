/**
 * Checkbox selection in the inbox list, as in a mail client: a click toggles one row and
 * becomes the anchor; a shift-click gives every row from the anchor to it the clicked row's
 * new state.
 */
export interface ListSelection {
  ids: ReadonlySet<string>
  /** The row the last plain click or `x` toggled. */
  anchorId: string | null
}

export const NO_SELECTION: ListSelection = { ids: new Set(), anchorId: null }

export function toggleRow(selection: ListSelection, order: readonly string[], id: string, range: boolean): ListSelection {
  const checked = !selection.ids.has(id)
  const ids = new Set(selection.ids)
  const from = range && selection.anchorId !== null ? order.indexOf(selection.anchorId) : -1
  const to = order.indexOf(id)
  if (from === -1 || to === -1) {
    if (checked) ids.add(id)
    else ids.delete(id)
    return { ids, anchorId: id }
  }
  for (const rowId of order.slice(Math.min(from, to), Math.max(from, to) + 1)) {
    if (checked) ids.add(rowId)
    else ids.delete(rowId)
  }
  return { ids, anchorId: id }
}

/** Rows that left the list (resolved elsewhere, another view) leave the selection too. */
export function keepListed(selection: ListSelection, order: readonly string[]): ListSelection {
  const listed = new Set(order)
  const ids = [...selection.ids].filter((id) => listed.has(id))
  if (ids.length === selection.ids.size) return selection
  return { ids: new Set(ids), anchorId: selection.anchorId !== null && listed.has(selection.anchorId) ? selection.anchorId : null }
}
