import { describe, expect, it } from 'vitest'
import { mentionedIds } from './mentions'

const users = [
  { id: 'u1', name: 'Sam' },
  { id: 'u2', name: 'Sam Lee' },
  { id: 'u3', name: 'Dana Kim' },
]

describe('the agents a note mentions', () => {
  it('are those whose @name is in the text, the longest name winning', () => {
    expect(mentionedIds('@Sam Lee can you check with @Dana Kim?', users).sort()).toEqual(['u2', 'u3'])
    expect(mentionedIds('@Sam and @Sam Lee', users).sort()).toEqual(['u1', 'u2'])
    expect(mentionedIds('email sam@example.com, no mention', users)).toEqual([])
  })
})
