import { useDeferredValue, useState } from 'react'
import { useSearch } from '../../api/queries'
import { Dialog } from '../../lib/Dialog'
import { avatarHue, initials } from '../../lib/format'
import { ChannelIcon, Icon, type IconName } from '../../lib/icons'
import type { Selection } from '../inbox/InboxList'
import { Highlighted } from '../search/Highlighted'
import { useListbox } from '../../lib/use-listbox'

export interface PaletteAction {
  id: string
  label: string
  icon: IconName
  hint?: string
  run(): void
}

type Option =
  | { kind: 'action'; key: string; action: PaletteAction }
  | { kind: 'customer' | 'message'; key: string; hit: NonNullable<ReturnType<typeof useSearch>['data']>[number] }

/** Ctrl/Cmd-K: jump to a customer or conversation, or run an action, by typing a few letters. */
export function CommandPalette({
  actions,
  onOpen,
  onClose,
}: {
  actions: PaletteAction[]
  onOpen(selection: Selection): void
  onClose(): void
}) {
  const [text, setText] = useState('')
  const query = useDeferredValue(text.trim())
  const customers = useSearch(query ? { text: query, kinds: ['customer'], limit: 5 } : null)
  const messages = useSearch(query ? { text: query, kinds: ['message'], limit: 5 } : null)
  const words = text.trim().toLowerCase().split(/\s+/).filter(Boolean)
  const matchingActions = actions.filter((a) => words.every((w) => a.label.toLowerCase().includes(w)))
  const options: Option[] = [
    ...(query ? (customers.data ?? []).map((hit) => ({ kind: 'customer' as const, key: `c:${hit.id}`, hit })) : []),
    ...(query ? (messages.data ?? []).map((hit) => ({ kind: 'message' as const, key: `m:${hit.id}`, hit })) : []),
    ...matchingActions.map((action) => ({ kind: 'action' as const, key: `a:${action.id}`, action })),
  ]

  function choose(option: Option | undefined): void {
    if (!option) return
    onClose()
    if (option.kind === 'action') option.action.run()
    else if (option.hit.conversationId) onOpen({ customerId: option.hit.customerId, conversationId: option.hit.conversationId })
  }

  const { current, setActive, inputProps } = useListbox(options, 'palette', choose)

  let lastGroup: string | null = null
  return (
    <Dialog title="Command palette" hideTitle onClose={onClose} className="palette">
      <div className="palette-input">
        <Icon name="search" size={18} />
        <input
          aria-label="Jump to a customer, conversation or action"
          placeholder="Jump to a customer, conversation or action…"
          value={text}
          onChange={(e) => {
            setText(e.target.value)
            setActive(0)
          }}
          {...inputProps}
          data-autofocus
        />
        <kbd>Esc</kbd>
      </div>
      <div id="palette-options" role="listbox" aria-label="Results" className="palette-options">
        {options.length === 0 && <p className="empty">Nothing matches “{text}”.</p>}
        {options.map((option, index) => {
          const group = option.kind === 'action' ? 'Actions' : option.kind === 'customer' ? 'Customers' : 'Conversations'
          const heading = group !== lastGroup ? group : null
          lastGroup = group
          return (
            <div key={option.key} role="presentation">
              {heading && (
                <div className="palette-group" role="presentation">
                  {heading}
                </div>
              )}
              <div
                id={`palette-${index}`}
                role="option"
                aria-selected={index === current}
                className={`palette-option${index === current ? ' is-active' : ''}`}
                onMouseMove={() => setActive(index)}
                onClick={() => choose(option)}
              >
                {option.kind === 'action' ? (
                  <>
                    <span className="palette-icon">
                      <Icon name={option.action.icon} />
                    </span>
                    <span className="palette-label">{option.action.label}</span>
                    {option.action.hint && <kbd>{option.action.hint}</kbd>}
                  </>
                ) : option.kind === 'customer' ? (
                  <>
                    <span className="avatar avatar-sm" style={{ ['--hue' as string]: avatarHue(option.hit.customerId) }} aria-hidden="true">
                      {initials(option.hit.customerName)}
                    </span>
                    <span className="palette-label">
                      {/* One line: the label stacks its children, and the name's matched and unmatched runs are several. */}
                      <span className="palette-name">
                        <Highlighted parts={option.hit.title} />
                      </span>
                      <span className="palette-sub">
                        <Highlighted parts={option.hit.snippet} />
                      </span>
                    </span>
                  </>
                ) : (
                  <>
                    {option.hit.channel && <ChannelIcon channel={option.hit.channel} />}
                    <span className="palette-label">
                      {option.hit.customerName}
                      <span className="palette-sub">
                        <Highlighted parts={option.hit.snippet} />
                      </span>
                    </span>
                  </>
                )}
              </div>
            </div>
          )
        })}
      </div>
    </Dialog>
  )
}
