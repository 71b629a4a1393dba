import path from 'node:path'
import { z } from 'zod'
import { ConfigError, type ServerConfig } from '../config'
import type { Connector } from './connector'
import { CONNECTOR_DEFINITIONS, connectorDefinition } from './registry'

/** Builds the connector of every configured inbox; a bad setting fails start, naming the inbox. */
export function createConfiguredConnectors(config: ServerConfig): Connector[] {
  return config.inboxes.map((inbox) => {
    const { type, ...raw } = inbox.connector
    const definition = connectorDefinition(type)
    if (!definition) {
      const known = CONNECTOR_DEFINITIONS.map((d) => d.type).join(', ') || 'none'
      throw new ConfigError(`inbox "${inbox.name}": unknown connector type "${type}" (known: ${known})`)
    }
    if (!definition.channels.includes(inbox.channel)) {
      throw new ConfigError(`inbox "${inbox.name}": connector "${type}" serves ${definition.channels.join(', ')}, not ${inbox.channel}`)
    }
    const settings = definition.settings.safeParse(raw)
    if (!settings.success) {
      throw new ConfigError(`inbox "${inbox.name}" (${type}): ${z.prettifyError(settings.error)}`)
    }
    return definition.create({ name: inbox.name, channel: inbox.channel, templates: inbox.templates ?? [] }, settings.data, {
      defaultCountry: config.defaultCountry,
      publicUrl: config.publicUrl,
      dataDir: path.dirname(path.resolve(config.dbPath)),
    })
  })
}
