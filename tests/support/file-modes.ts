import fs from 'node:fs'
import Database from 'better-sqlite3'

/** Permission bits of a file or folder, as `ls -l` would show them in octal (e.g. '600'). */
export function modeOf(path: string): string {
  return (fs.statSync(path).mode & 0o777).toString(8)
}

/** The database's own file and the two SQLite keeps beside it in WAL mode. */
export const databaseFiles = (file: string): string[] => [file, `${file}-wal`, `${file}-shm`]

/**
 * A database as an older version left it: main, -wal and -shm files readable by everyone.
 * The connection stays open, so the -wal and -shm files stay too; call the result to close it.
 */
export function leaveWorldReadableDatabase(file: string): () => void {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.exec('CREATE TABLE IF NOT EXISTS left_behind (id INTEGER PRIMARY KEY)')
  for (const path of databaseFiles(file)) fs.chmodSync(path, 0o644)
  return () => db.close()
}
