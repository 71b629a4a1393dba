import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { CallOutcome, Identity, Message } from '../../../shared/domain'
import type { InboundMessage } from '../../../shared/ingest'
import { BadRequestError } from '../../errors'
import { errorBody } from '../../http/errors'
import { redactedUrl } from '../../http/log-redaction'
import { InvalidAddressError, normalizeAddress } from '../../identity/normalize'
import { DeferredIngestError } from '../../ingest/inbound-service'
import type { Connector, ConnectorContext, ConnectorDefinition, InboxSettings } from '../connector'
import { NotFoundError } from '../delivery'
import { refuseMalformed } from '../refused-payload'
import { webhookPath } from '../twilio-sms/twilio-sms'
import { acceptForms, flattenForm, TWIML_EMPTY, verifiedForm } from '../twilio-sms/twilio-webhook'

export const VoiceSettings = z.object({
  /** The Twilio (or compatible) account's auth token: it signs every call webhook. */
  authToken: z.string().min(1, 'authToken is required'),
  /** What Twilio does with an incoming call (TwiML); by default it is answered by nothing and ends. */
  incomingCallTwiml: z.string().trim().startsWith('<').max(20_000).default(TWIML_EMPTY),
})
export type VoiceSettings = z.output<typeof VoiceSettings>

const Field = z.string().trim().min(1).max(500)

/** The parts of Twilio's call, status, recording and transcription callbacks we use. */
const CallWebhook = z.object({
  CallSid: Field,
  // Recording and transcription callbacks name no caller: they update the call stored by CallSid.
  From: Field.optional(),
  To: Field.optional(),
  CallStatus: Field.optional(),
  Direction: Field.optional(),
  CallDuration: z.coerce.number().int().min(0).optional(),
  RecordingUrl: z.url().optional(),
  TranscriptionText: z.string().max(200_000).optional(),
  TranscriptionStatus: Field.optional(),
})
type CallWebhook = z.output<typeof CallWebhook>

type Lifecycle = { status: 'ringing' | 'in-progress' | 'completed'; outcome?: CallOutcome }

/** Twilio's call states as a call record's lifecycle; unknown states are refused, not guessed. */
const CALL_STATUS: Record<string, Lifecycle> = {
  queued: { status: 'ringing' },
  initiated: { status: 'ringing' },
  ringing: { status: 'ringing' },
  'in-progress': { status: 'in-progress', outcome: 'answered' },
  answered: { status: 'in-progress', outcome: 'answered' },
  completed: { status: 'completed' },
  busy: { status: 'completed', outcome: 'missed' },
  'no-answer': { status: 'completed', outcome: 'missed' },
  canceled: { status: 'completed', outcome: 'missed' },
  failed: { status: 'completed', outcome: 'failed' },
}

/** A callback naming no caller, about a call not stored yet. */
const UNKNOWN_CALL = Symbol('unknown call')

/** Answers 404 with the reason, so Twilio retries the callback once the call's own webhook is in. */
function unknownCall(request: FastifyRequest, reply: FastifyReply, ctx: ConnectorContext, callSid: string): FastifyReply {
  const reason = `no call ${callSid} is known yet; a callback without From/To updates a call whose own webhook came first`
  ctx.log.warn({ url: redactedUrl(request.url), callSid }, `voice webhook refused: ${reason}`)
  return reply.status(404).send(errorBody('not_found', reason))
}

class VoiceConnector implements Connector {
  readonly name: string
  readonly inbox: string
  readonly channels = ['voice'] as const
  private context: ConnectorContext | null = null

  constructor(
    private readonly settings: VoiceSettings,
    inbox: InboxSettings,
    private readonly server: { defaultCountry: string; publicUrl: string | null },
  ) {
    this.inbox = inbox.name
    this.name = `voice:${inbox.name}`
  }

  registerRoutes(app: FastifyInstance): void {
    acceptForms(app)
    // One handler for the call webhook and its callbacks: each is a snapshot of the same call.
    app.post(webhookPath(this.inbox, 'voice'), (request, reply) => this.onWebhook(request, reply, true))
    for (const kind of ['status', 'recording', 'transcription']) {
      app.post(webhookPath(this.inbox, `voice/${kind}`), (request, reply) => this.onWebhook(request, reply, false))
    }
  }

  private async onWebhook(request: FastifyRequest, reply: FastifyReply, answersCall: boolean): Promise<FastifyReply> {
    const ctx = this.context
    if (!ctx) return reply.status(503).send({ error: { code: 'internal', message: 'the voice connector is starting' } })
    const what = 'voice webhook'
    const params = verifiedForm(request, reply, { authToken: this.settings.authToken, publicUrl: this.server.publicUrl, log: ctx.log, what })
    if (!params) return reply
    const parsed = CallWebhook.safeParse(flattenForm(params))
    if (!parsed.success) return refuseMalformed(request, reply, ctx, this.inbox, what, z.prettifyError(parsed.error))
    const item = await this.toInbound(ctx, parsed.data)
    if (typeof item === 'string') return refuseMalformed(request, reply, ctx, this.inbox, what, item)
    if (item === UNKNOWN_CALL) return unknownCall(request, reply, ctx, parsed.data.CallSid)
    try {
      await ctx.ingest(item)
    } catch (err) {
      if (err instanceof BadRequestError) return refuseMalformed(request, reply, ctx, this.inbox, what, err.message)
      // The call was not stored between our look-up and the ingest (its first webhook is dead-lettered).
      if (err instanceof NotFoundError) return unknownCall(request, reply, ctx, parsed.data.CallSid)
      // Dead-lettered: stored and retried by the server.
      if (!(err instanceof DeferredIngestError)) throw err
    }
    return answersCall ? reply.type('text/xml').send(this.settings.incomingCallTwiml) : reply.status(204).send()
  }

  /** The webhook as a normalized call item, UNKNOWN_CALL, or why it cannot be one. */
  private async toInbound(ctx: ConnectorContext, hook: CallWebhook): Promise<InboundMessage | typeof UNKNOWN_CALL | string> {
    const stored = await ctx.store.callByExternalId(hook.CallSid)
    const namesNobody = hook.From === undefined && hook.To === undefined
    // Twilio's recording and transcription callbacks carry the CallSid only: they can only
    // update a call whose own webhook came first.
    if (namesNobody && !stored) return UNKNOWN_CALL
    // Twilio's outbound-api (REST) and outbound-dial (<Dial>) are calls we place; callbacks
    // without a Direction (recordings, transcriptions) belong to the call already stored.
    const outbound = hook.Direction ? hook.Direction.toLowerCase().startsWith('outbound') : stored?.direction === 'outbound'
    let address: string | undefined
    if (!namesNobody) {
      // On calls we place, the customer is the one called.
      const raw = outbound ? hook.To : hook.From
      if (!raw) return `${outbound ? 'To' : 'From'} is required on ${outbound ? 'an outbound' : 'an inbound'} call`
      try {
        address = normalizeAddress('phone', raw, this.server.defaultCountry)
      } catch (err) {
        if (err instanceof InvalidAddressError) return `${outbound ? 'To' : 'From'}: ${err.message}`
        throw err
      }
    }
    let lifecycle: Lifecycle
    if (hook.CallStatus) {
      const known = CALL_STATUS[hook.CallStatus.toLowerCase()]
      if (!known) return `unknown CallStatus "${hook.CallStatus}"`
      lifecycle = known
    } else if (hook.RecordingUrl || hook.TranscriptionText) {
      // Recording and transcription callbacks come once the call has ended.
      lifecycle = { status: 'completed' }
    } else {
      return 'CallStatus is required (or RecordingUrl / TranscriptionText on a recording callback)'
    }
    // Twilio may report a call straight from ringing to completed, without in-progress: time
    // on the line means it was answered.
    if (lifecycle.status === 'completed' && lifecycle.outcome === undefined && !stored?.outcome && (hook.CallDuration ?? 0) > 0) {
      lifecycle = { ...lifecycle, outcome: 'answered' }
    }
    // A recording left on a call to us that nobody answered is a voicemail.
    const missed = lifecycle.outcome === 'missed' || (lifecycle.outcome === undefined && stored?.outcome === 'missed')
    const outcome = hook.RecordingUrl && missed && !outbound ? 'voicemail' : lifecycle.outcome
    const transcript = hook.TranscriptionStatus?.toLowerCase() === 'failed' ? undefined : hook.TranscriptionText
    return {
      channel: 'voice',
      inbox: this.inbox,
      externalId: hook.CallSid,
      ...(address ? { from: { kind: 'phone', address } } : {}),
      call: {
        status: lifecycle.status,
        direction: outbound ? 'outbound' : 'inbound',
        ...(outcome ? { outcome } : {}),
        ...(hook.CallDuration !== undefined ? { durationSeconds: hook.CallDuration } : {}),
        ...(hook.RecordingUrl ? { recordingUrl: hook.RecordingUrl } : {}),
        ...(transcript ? { transcript } : {}),
      },
    }
  }

  async start(context: ConnectorContext): Promise<void> {
    this.context = context
  }

  async stop(): Promise<void> {
    this.context = null
  }

  async send(_message: Message, _recipient: Identity): Promise<{ externalId: string }> {
    throw new Error('a phone call cannot carry a written reply: answer by SMS or call the customer back')
  }
}

export const voiceDefinition: ConnectorDefinition<typeof VoiceSettings> = {
  type: 'voice',
  channels: ['voice'],
  settings: VoiceSettings,
  create: (inbox, settings, server) => new VoiceConnector(settings, inbox, server),
}
