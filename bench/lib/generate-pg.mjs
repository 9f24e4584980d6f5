// Generates the Patchwork-shaped bench database on the local PostgreSQL (see gen/pg-generate.sql).
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { must, q } from './sh.mjs'

const HERE = fileURLToPath(new URL('.', import.meta.url))
const SCHEMA = fileURLToPath(new URL('../../fixtures/patchwork/postgres/schema.sql', import.meta.url))
const GENERATOR = `${HERE}../gen/pg-generate.sql`

export const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' }
export const pgUrl = (db) => `postgres://${PG.user}@${PG.host}:${PG.port}/${db}`
/** `server` defaults to the local shared server; the window bench passes its own throwaway one. */
export const psql = (db, extra = '', server = PG) => `psql -X -q -v ON_ERROR_STOP=1 -h ${server.host} -p ${server.port} -U ${server.user} -d ${q(db)} ${extra}`

/** `-- @section NAME` blocks of the generator. */
function sections() {
  const out = {}
  let name
  for (const line of readFileSync(GENERATOR, 'utf8').split('\n')) {
    const m = /^-- @section (\w+)/.exec(line)
    if (m) { name = m[1]; out[name] = ''; continue }
    if (name) out[name] += `${line}\n`
  }
  return out
}

export async function dropPg(db, server = PG) {
  await must(`${psql('postgres', '', server)} -c ${q(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`)}`)
}

/**
 * Creates `db` with the fixture schema and `scale` × 50k submissions; the big tables are filled
 * by parallel sessions. Ends with VACUUM (FREEZE, ANALYZE) and a CHECKPOINT, so that neither
 * drydock nor the anchors pay for hint bits or first-read effects the other did not.
 */
export async function generatePg(db, scale, log = () => {}, server = PG) {
  const s = sections()
  await dropPg(db, server)
  await must(`${psql('postgres', '', server)} -c ${q(`CREATE DATABASE "${db}" TEMPLATE template0 ENCODING 'UTF8'`)}`)
  await must(`${psql(db, '', server)} -f ${q(SCHEMA)}`)
  const t0 = Date.now()
  const run = (name) => must(`${psql(db, `-v scale=${scale}`, server)}`, { input: s[name] })
  await run('small')
  await Promise.all(['submission', 'patch', 'comment', 'check'].map(run))
  await run('finish')
  log(`generated in ${((Date.now() - t0) / 1000).toFixed(0)} s; vacuum freeze analyze…`)
  await must(`${psql(db, '', server)} -c 'VACUUM (FREEZE, ANALYZE)' -c CHECKPOINT`)
}
