import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { z } from 'zod'
import { systemActor } from '../../shared/actors'
import { CSAT_RATINGS, CsatRating, RATING_WORDS } from '../../shared/csat'
import { escapeHtml } from '../escape-html'
import type { StoreReader } from '../store/store'
import type { ChangeFeed } from '../sync/commit'
import { answerRefusal, answerSurvey, surveyOf, tokenMatches } from './surveys'

const Params = z.object({ surveyId: z.string().min(1).max(128), token: z.string().min(1).max(128) })
const Rating = z.coerce.number().pipe(CsatRating)

/** The page's own rules: nothing loads from anywhere, no script runs, and the form posts only back here. */
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

/**
 * The page an email survey's links open, on the sync server, with no sign-in: the link's secret
 * token is the proof. Opening a link only shows the rating chosen with a button to send it:
 * mail filters open every link of a message to scan it, and must not answer for the customer.
 */
export const surveyPageRoutes =
  (deps: { store: StoreReader; feed: ChangeFeed }): FastifyPluginAsync =>
  async (app) => {
    const commit = deps.feed.as(systemActor('survey-page'))
    // Only this scope reads HTML forms; the REST API takes JSON alone.
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1024 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)))
    })

    app.get('/survey/:surveyId/:token', { schema: { hide: true } }, async (request, reply) => {
      const params = Params.safeParse(request.params)
      const survey = params.success ? surveyOf(await deps.store.getEvent(params.data.surveyId)) : null
      if (!params.success || !survey || !tokenMatches(survey, params.data.token)) return notFound(reply)
      const refusal = answerRefusal(survey, Date.now())
      if (refusal) return refused(reply, survey.data.rating !== null ? 409 : 410, refusal)
      const chosen = Rating.safeParse((request.query as Record<string, unknown>).rating)
      return page(reply, 200, 'How did we do?', form(chosen.success ? chosen.data : null))
    })

    app.post('/survey/:surveyId/:token', { schema: { hide: true } }, async (request, reply) => {
      const params = Params.safeParse(request.params)
      if (!params.success) return notFound(reply)
      const rating = Rating.safeParse((request.body as Record<string, unknown> | null)?.rating)
      if (!rating.success) return page(reply, 400, 'How did we do?', `<p class="problem">Choose a rating from 1 to 5, then send it.</p>${form(null)}`)
      const outcome = await answerSurvey(commit, params.data.surveyId, rating.data, (s) => tokenMatches(s, params.data.token))
      if ('refused' in outcome) return outcome.status === 404 ? notFound(reply) : refused(reply, outcome.status, outcome.refused)
      return page(reply, 200, 'Thank you', `<p>You rated us ${outcome.answered} of 5 – ${RATING_WORDS[outcome.answered]}. Your answer helps the team.</p>`)
    })
  }

function form(chosen: CsatRating | null): string {
  const options = CSAT_RATINGS.map(
    (r) =>
      `<label class="option"><input type="radio" name="rating" value="${r}"${r === chosen ? ' checked' : ''} required><span>${r}</span><small>${RATING_WORDS[r]}</small></label>`,
  ).join('')
  return `<form method="post"><fieldset><legend>Your rating</legend><div class="options">${options}</div></fieldset><button type="submit">Send my rating</button></form>`
}

/** Answered already (409: thanks all the same), or closed (410). */
function refused(reply: FastifyReply, status: 409 | 410, reason: string): FastifyReply {
  return page(reply, status, status === 409 ? 'Thank you' : 'This survey is closed', `<p>${escapeHtml(reason)}</p>`)
}

function notFound(reply: FastifyReply): FastifyReply {
  return page(reply, 404, 'Link not recognised', '<p>This survey link is not valid. It may have been cut short when it was copied.</p>')
}

/** The page around `body`, which is HTML made here (any text in it escaped). */
function page(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return reply
    .status(status)
    .header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .type('text/html; charset=utf-8')
    .send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;color:#1d2430;background:#f5f6f8;margin:0;padding:48px 16px}
main{max-width:480px;margin:0 auto;background:#fff;border:1px solid #dde1e7;border-radius:12px;padding:32px}
h1{font-size:22px;margin:0 0 16px}fieldset{border:0;padding:0;margin:0 0 20px}legend{margin-bottom:8px;color:#5b6472}
.options{display:flex;gap:8px}.option{flex:1;display:flex;flex-direction:column;align-items:center;border:1px solid #c7ccd4;border-radius:8px;padding:10px 4px;cursor:pointer}
.option span{font-size:20px;font-weight:600}.option small{color:#5b6472;font-size:12px}.option:has(input:checked){border-color:#2f6fde;background:#eef3fd}
.option input{margin:0 0 4px}button{font:inherit;padding:10px 18px;border:0;border-radius:8px;background:#2f6fde;color:#fff;cursor:pointer}.problem{color:#b42318}
</style></head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`)
}
