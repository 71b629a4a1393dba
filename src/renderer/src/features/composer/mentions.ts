import type { User } from '../../../../shared/domain'

/**
 * The agents a note names: the mention picker inserts "@Name", so the note mentions whoever's
 * "@Name" is still in its text when it is sent (also after a draft was restored). The longest
 * names are matched first, so "@Sam Lee" is not also read as "@Sam".
 */
export function mentionedIds(text: string, users: readonly Pick<User, 'id' | 'name'>[]): string[] {
  let rest = text
  const ids: string[] = []
  for (const user of [...users].sort((a, b) => b.name.length - a.name.length)) {
    const tag = `@${user.name}`
    if (!user.name || !rest.includes(tag)) continue
    ids.push(user.id)
    rest = rest.split(tag).join(' ')
  }
  return ids
}
