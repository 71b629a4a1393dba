import { createHash } from 'node:crypto'
import { widgetScript } from '../../assets'

export interface WidgetBundle {
  code: string
  etag: string
}

let cached: Promise<WidgetBundle> | null = null

/**
 * The embeddable widget script (prebuilt by `npm run build`, or built from src/widget when the
 * server runs from its sources), loaded the first time a web chat inbox starts, then kept in memory.
 */
export function widgetBundle(): Promise<WidgetBundle> {
  cached ??= widgetScript().then(
    (code) => ({ code, etag: `"${createHash('sha256').update(code).digest('base64url').slice(0, 27)}"` }),
    (err: unknown) => {
      cached = null
      throw new Error(`loading the web chat widget failed: ${(err as Error).message}`)
    },
  )
  return cached
}
