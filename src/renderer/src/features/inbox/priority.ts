import type { Priority } from '../../../../shared/domain'
import { PRIORITIES } from '../../../../shared/domain-values'

export const PRIORITY_LABELS: Record<Priority, string> = { low: 'Low', normal: 'Normal', high: 'High', urgent: 'Urgent' }

/** Most urgent first, as menus list them. */
export const PRIORITY_CHOICES: readonly Priority[] = [...PRIORITIES].reverse()
