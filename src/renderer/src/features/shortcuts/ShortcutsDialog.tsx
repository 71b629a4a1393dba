import { hasRole } from '../../../../shared/roles'
import { useSession } from '../../api/queries'
import { Dialog } from '../../lib/Dialog'
import { SHORTCUTS } from './shortcuts'

export function ShortcutsDialog({ onClose }: { onClose(): void }) {
  const groups = ['Navigate', 'Conversation', 'General'] as const
  const user = useSession().data?.user
  const shortcuts = SHORTCUTS.filter((s) => !s.atLeast || (user && hasRole(user, s.atLeast)))
  return (
    <Dialog title="Keyboard shortcuts" onClose={onClose} className="shortcuts-dialog">
      <div className="shortcut-groups">
        {groups.map((group) => (
          <section key={group} aria-label={group}>
            <h3 className="shortcut-group">{group}</h3>
            <dl className="shortcut-list">
              {shortcuts.filter((s) => s.group === group).map((s) => (
                <div key={s.action} className="shortcut">
                  <dt>
                    {s.keys.map((k, i) => (
                      <kbd key={i}>{k}</kbd>
                    ))}
                  </dt>
                  <dd>{s.action}</dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
      </div>
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose} data-autofocus>
          Close
        </button>
      </div>
    </Dialog>
  )
}
