import { postgresDriver } from './pipeline/drivers/postgres/postgres-driver.ts'
import { parseEndpoint } from './pipeline/endpoint.ts'
import { loadTransform } from './pipeline/transform/load-transform.ts'
import { executeTransform } from './pipeline/transform/run-transform.ts'
import pg from 'pg'
const db = 'dd_t_tf_meas4'
const c = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: db }); await c.connect()
await c.query(`DROP TABLE IF EXISTS cm_small, patchwork_patchcomment, patchwork_covercomment; CREATE TABLE cm_small AS SELECT * FROM patchwork_comment WHERE id <= 200000; ALTER TABLE cm_small ADD PRIMARY KEY (id);
CREATE TABLE patchwork_patchcomment (id bigint, msgid varchar(255), date timestamp, headers text, submitter_id int, content text, patch_id bigint);
CREATE TABLE patchwork_covercomment (id bigint, msgid varchar(255), date timestamp, headers text, submitter_id int, content text, cover_id bigint);`)
await c.end()
const spec: any = await loadTransform('transforms/patchwork-split-comments.ts')
const s2 = { ...spec, sources: [{ table: 'cm_small' }] }
const t0 = Date.now()
const r = await executeTransform(s2, { driver: postgresDriver, endpoint: parseEndpoint(`postgres://postgres@127.0.0.1/${db}`, 'x'), jobs: 2 })
console.log(r.rowsIn, r.bytesIn, Date.now() - t0, 'ms', (r.bytesIn / (Date.now() - t0) / 1000).toFixed(1), 'MB/s')
