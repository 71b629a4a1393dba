import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

/*
 * assets.ts as the built server finds them: prebuilt beside it in out/server/. Every built module
 * sits one folder below out/ (entry points in out/<program>/, shared chunks in out/chunks/), so
 * one relative path serves them all.
 */

const builtFile = (name: string): string => fileURLToPath(new URL(`../server/${name}`, import.meta.url))

export const { htmlWorkerFile, widgetScript }: typeof import('./assets') = {
  htmlWorkerFile: builtFile('html-worker.js'),
  widgetScript: () => readFile(builtFile('widget.js'), 'utf8'),
}
