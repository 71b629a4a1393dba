import { lazy, Suspense, type ComponentProps } from 'react'
import { PaneBoundary } from '../../lib/PaneBoundary'
import type { Composer as ComposerComponent } from './Composer'

// The editor (TipTap and ProseMirror) is the larger part of the renderer's code: the inbox
// must not wait for it to load at start.
const loadComposer = () => import('./Composer')
const Composer = lazy(() => loadComposer().then((m) => ({ default: m.Composer })))

/** Fetches the editor's code ahead of need, so opening a conversation does not wait for it. */
export function preloadComposer(): void {
  void loadComposer()
}

export function LazyComposer(props: ComponentProps<typeof ComposerComponent>) {
  return (
    <PaneBoundary label="The composer">
      <Suspense fallback={<div className="composer composer-loading" aria-busy="true" aria-label="Loading the composer" />}>
        <Composer {...props} />
      </Suspense>
    </PaneBoundary>
  )
}
