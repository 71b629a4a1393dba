import { createContext, useContext, useEffect, useRef, type ReactNode, type RefObject } from 'react'
import type { Priority } from '../../../../shared/domain'

/**
 * What the keyboard and the command palette can ask the open conversation to do. The
 * conversation view registers these while it is shown; the shortcut layer calls them.
 */
export interface ConversationCommands {
  reply(): void
  note(): void
  assign(): void
  assignToMe(): void
  resolve(): void
  reopen(): void
  markUnread(): void
  snooze(): void
  setPriority(priority: Priority): void
  /** Opens the dialog that starts another conversation with the customer on screen. */
  newConversation(): void
}

const CommandsContext = createContext<RefObject<Partial<ConversationCommands>> | null>(null)

export function CommandsProvider({ children }: { children: ReactNode }) {
  const ref = useRef<Partial<ConversationCommands>>({})
  return <CommandsContext.Provider value={ref}>{children}</CommandsContext.Provider>
}

export function useCommands(): RefObject<Partial<ConversationCommands>> {
  const ref = useContext(CommandsContext)
  if (!ref) throw new Error('useCommands needs a <CommandsProvider>')
  return ref
}

/** Registers the open conversation's commands for as long as the caller is mounted. */
export function useRegisterCommands(commands: Partial<ConversationCommands>): void {
  const ref = useCommands()
  useEffect(() => {
    ref.current = commands
  })
  useEffect(
    () => () => {
      ref.current = {}
    },
    [ref],
  )
}
