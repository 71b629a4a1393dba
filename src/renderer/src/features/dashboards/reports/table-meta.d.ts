import '@tanstack/react-table'

declare module '@tanstack/react-table' {
  // Type parameters must match the library's declaration to merge with it.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface ColumnMeta<TData extends RowData, TValue> {
    /** Right-aligned, as numbers are read by their last digits. */
    numeric?: boolean
  }
}
