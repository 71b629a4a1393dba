import { z } from 'zod'
import { Role } from './domain'
import { InboxInfo } from './inbox-settings'

/** What an admin (REST, the desktop admin screen, the CLI) sends to create and change users. */

const UserName = z.string().trim().min(1, 'a user needs a name').max(200)
const Team = z.string().trim().min(1, 'a team name cannot be empty').max(100)
/** null: every inbox, present and future. */
const InboxAccess = z.array(z.string().trim().min(1, 'an inbox name cannot be empty').max(200)).nullable()

export const NewUser = z.object({
  name: UserName,
  email: z.email('a user needs a valid email address').trim().toLowerCase(),
  role: Role,
  team: Team.nullable().optional(),
  inboxes: InboxAccess.optional(),
})
export type NewUser = z.input<typeof NewUser>

/** A change to a user; what is left out stays as it is. */
export const UserAccess = z.object({
  name: UserName.optional(),
  role: Role.optional(),
  team: Team.nullable().optional(),
  inboxes: InboxAccess.optional(),
})
export type UserAccess = z.input<typeof UserAccess>

/** What the admin screen chooses from: the teams named on users or conversations, and the server's inboxes. */
export const AdminDirectory = z.object({
  teams: z.array(z.string()),
  inboxes: z.array(InboxInfo.pick({ name: true, channel: true })),
})
export type AdminDirectory = z.infer<typeof AdminDirectory>
