import { lazy, Suspense, type ComponentProps } from 'react'
import type { NewConversationDialog as DialogComponent } from './NewConversationDialog'

// The dialog fills WhatsApp templates with the shared schemas (zod): they stay out of the code
// every agent loads at start, and come when the dialog is first opened.
const NewConversationDialog = lazy(() => import('./NewConversationDialog').then((m) => ({ default: m.NewConversationDialog })))

export function LazyNewConversationDialog(props: ComponentProps<typeof DialogComponent>) {
  return (
    <Suspense fallback={null}>
      <NewConversationDialog {...props} />
    </Suspense>
  )
}
