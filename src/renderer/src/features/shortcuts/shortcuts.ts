import type { Role } from '../../../../shared/domain'

/** Every keyboard shortcut, as the help dialog lists them; `atLeast`: only users of that role or above have it. */
export const SHORTCUTS: { keys: string[]; action: string; group: 'Navigate' | 'Conversation' | 'General'; atLeast?: Role }[] = [
  { keys: ['j', '↓'], action: 'Next conversation', group: 'Navigate' },
  { keys: ['k', '↑'], action: 'Previous conversation', group: 'Navigate' },
  { keys: ['/'], action: 'Search', group: 'Navigate' },
  { keys: ['Ctrl', 'K'], action: 'Command palette: jump to a customer, conversation or action', group: 'Navigate' },
  { keys: ['g', 'i'], action: 'Go to the inbox list', group: 'Navigate' },
  { keys: ['g', 'd'], action: 'Go to the dashboards', group: 'Navigate', atLeast: 'supervisor' },
  { keys: ['x'], action: 'Check the open conversation for a bulk action (Shift-x: the range from the last one)', group: 'Navigate' },
  { keys: ['r'], action: 'Reply', group: 'Conversation' },
  { keys: ['n'], action: 'Internal note', group: 'Conversation' },
  { keys: ['a'], action: 'Assign…', group: 'Conversation' },
  { keys: ['e'], action: 'Resolve', group: 'Conversation' },
  { keys: ['s'], action: 'Snooze…', group: 'Conversation' },
  { keys: ['u'], action: 'Mark unread', group: 'Conversation' },
  { keys: ['i'], action: 'Show or hide the customer details (in a narrow window)', group: 'Conversation' },
  { keys: ['Ctrl', 'Enter'], action: 'Send the reply or note', group: 'Conversation' },
  { keys: ['?'], action: 'Show these shortcuts', group: 'General' },
  { keys: ['Esc'], action: 'Close a dialog, leave search or the composer', group: 'General' },
]

/** True when a key press belongs to what the agent is typing, not to the shortcuts. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  if (target.isContentEditable) return true
  const tag = target.tagName
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true
  if (tag === 'INPUT') {
    const type = (target as HTMLInputElement).type
    return !['checkbox', 'radio', 'button', 'submit'].includes(type)
  }
  return false
}
