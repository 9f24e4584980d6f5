// Generates the Patchwork-shaped bench database on the local MariaDB, on the server, from the
// Sequence engine's seq_1_to_N tables. Same shape and row counts as gen/pg-generate.sql.
import { fileURLToPath } from 'node:url'
import { must, q } from './sh.mjs'

const SCHEMA = fileURLToPath(new URL('../../fixtures/patchwork/mysql/schema.sql', import.meta.url))

export const MY = { host: '127.0.0.1', port: 3306, user: 'root' }
export const myUrl = (db) => `mysql://${MY.user}@${MY.host}:${MY.port}/${db}`
/** `server` defaults to the local shared server; the window bench passes its own throwaway one. */
export const mysqlCli = (db = '', extra = '', server = MY) =>
  `mariadb --no-defaults --protocol=TCP -h ${server.host} -P ${server.port} -u ${server.user} --default-character-set=utf8mb4 ${extra} ${db ? q(db) : ''}`

/** `n` lines (~54 bytes each) of diff-like text derived from the SQL expression `seed`. */
function text(seed, n) {
  return `(SELECT GROUP_CONCAT(CONCAT(SUBSTR(' +- +', 1 + s.seq % 5, 1), LEFT(MD5(CONCAT(${seed}, s.seq)), 8 + s.seq % 24), ' ', MD5(CONCAT(s.seq, ${seed})))
           ORDER BY s.seq SEPARATOR '\\n') FROM seq_1_to_400 s WHERE s.seq <= ${n})`
}
const h = (expr) => `CAST(CONV(LEFT(MD5(${expr}), 7), 16, 10) AS UNSIGNED)`

export function counts(scale) {
  const r = (n) => Math.max(1, Math.round(n * scale))
  return {
    users: r(2000), people: r(10000), relations: r(2000), series: r(10000), submissions: r(50000),
    comments: r(330000), checks: r(400000), bundles: r(2000), bundlepatches: r(120000),
  }
}

function sections(c) {
  const pre = "SET SESSION foreign_key_checks = 0, unique_checks = 0, group_concat_max_len = 67108864, sql_log_bin = 0;\n"
  const patches = c.submissions - Math.floor(c.submissions / 6)
  return {
    small: `${pre}
INSERT INTO auth_user (id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
SELECT u.seq, CONCAT('pbkdf2_sha256$260000$', MD5(CONCAT('salt', u.seq)), '$', MD5(CONCAT('pw', u.seq))),
       IF(u.seq % 7 = 0, NULL, TIMESTAMP'2020-06-01 12:00:00' + INTERVAL (${h("CONCAT('ll', u.seq)")} % 40000) MINUTE),
       u.seq = 1, CONCAT('user', u.seq), ELT(1 + u.seq % 8, 'José','Zoë','Łukasz','Ørjan','Иван','たかし','Wei','Seán'),
       ELT(1 + u.seq % 6, 'García','Müller','O''Brien','佐藤','Петров','Nguyễn'), CONCAT('user', u.seq, '@example.org'),
       u.seq <= 5, u.seq % 13 <> 0, TIMESTAMP'2018-01-01 00:00:00' + INTERVAL (3 * u.seq) HOUR
  FROM seq_1_to_${c.users} u;
INSERT INTO patchwork_project (id, linkname, name, listid, listemail, list_aliases, send_notifications)
SELECT p.seq, CONCAT('project', p.seq), CONCAT('Project ', p.seq, ' — «ü»'), CONCAT('project', p.seq, '.lists.example.org'),
       CONCAT('project', p.seq, '@lists.example.org'), JSON_ARRAY(CONCAT('p', p.seq, '@vger.example.org')), p.seq % 2 = 0
  FROM seq_1_to_20 p;
INSERT INTO patchwork_person (id, email, name, user_id)
SELECT i.seq, CONCAT('person', i.seq, '@', ELT(1 + i.seq % 3, 'example.org','bücher.example','example.co.jp')),
       IF(i.seq % 97 = 0, NULL, CONCAT('Person ', i.seq, ' ', ELT(1 + i.seq % 4, 'Dvořák','Søndergaard','田中','Yılmaz'))),
       IF(i.seq % 5 = 0, (i.seq DIV 5 - 1) % ${c.users} + 1, NULL)
  FROM seq_1_to_${c.people} i;
INSERT INTO patchwork_state (id, name, slug, ordering, action_required)
SELECT s.seq, CONCAT('State ', s.seq), CONCAT('state-', s.seq), s.seq, s.seq < 3 FROM seq_1_to_8 s;
INSERT INTO patchwork_patchrelation (id) SELECT seq FROM seq_1_to_${c.relations};
INSERT INTO patchwork_tag (id, name, pattern, abbrev) VALUES
    (1, 'Acked-by', '^Acked-by:', 'A'), (2, 'Reviewed-by', '^Reviewed-by:', 'R'), (3, 'Tested-by', '^Tested-by:', 'T');
INSERT INTO patchwork_coverletter (submission_ptr_id) SELECT seq FROM seq_6_to_${Math.max(6, c.submissions)}_step_6 WHERE seq <= ${c.submissions};
INSERT INTO patchwork_series (id, project_id, cover_letter_id, name, date, submitter_id, version, total)
SELECT j.seq, 1 + j.seq % 20, IF(6 * j.seq <= ${c.submissions}, 6 * j.seq, NULL), CONCAT('series ', j.seq, ': ', MD5(CONCAT('s', j.seq))),
       TIMESTAMP'2019-01-01 00:00:00' + INTERVAL (17 * j.seq) MINUTE, 1 + (j.seq * 7) % ${c.people}, 1 + j.seq % 3, 5
  FROM seq_1_to_${c.series} j;
INSERT INTO patchwork_bundle (id, owner_id, project_id, name, public)
SELECT b.seq, 1 + (b.seq - 1) % ${c.users}, 1 + b.seq % 20, CONCAT('bundle-', b.seq), b.seq % 3 = 0 FROM seq_1_to_${c.bundles} b;
`,
    submission: `${pre}
INSERT INTO patchwork_submission (id, msgid, date, headers, list_meta, submitter_id, content, name, project_id)
SELECT o.seq, CONCAT('<', MD5(CONCAT('m', o.seq)), '@mail.example.org>'), TIMESTAMP'2019-01-01 00:00:00' + INTERVAL (187 * o.seq) SECOND,
       CONCAT('Received: from mail.example.org\\n', ${text("'h', o.seq", 45)}),
       IF(o.seq % 4 = 0, NULL, JSON_OBJECT('list', CONCAT('project', 1 + o.seq % 20), 'n', o.seq, 'tags', JSON_ARRAY('a', 'ü'))),
       1 + ${h("CONCAT('sb', o.seq)")} % ${c.people},
       IF(o.seq % 11 = 0, NULL, CONCAT('Hi all,\\n', ${text("'c', o.seq", 28)})),
       CONCAT('[PATCH v', 1 + o.seq % 3, ' ', 1 + (o.seq - 1) % 5, '/5] subsystem: fix ', MD5(CONCAT('n', o.seq))),
       1 + o.seq % 20
  FROM seq_1_to_${c.submissions} o;
`,
    patch: `${pre}
INSERT INTO patchwork_patch (submission_ptr_id, diff, commit_ref, pull_url, delegate_id, state_id, archived, hash,
                             patch_project_id, series_id, number, related_id)
SELECT o.seq, CONCAT('diff --git a/drivers/net/dd', o.seq, '.c b/drivers/net/dd', o.seq, '.c\\n--- a/x\\n+++ b/x\\n@@ -1,5 +1,6 @@\\n',
              ${text("'d', o.seq", `80 + ${h("CONCAT('dl', o.seq)")} % 300`)}),
       IF(o.seq % 9 = 0, MD5(CONCAT('cr', o.seq)), NULL), NULL,
       IF(o.seq % 4 = 0, 1 + o.seq % ${c.users}, NULL), 1 + o.seq % 8, o.seq % 10 = 0,
       IF(o.seq % 13 = 0, NULL, UNHEX(LEFT(CONCAT(MD5(CONCAT('hash', o.seq)), MD5(CONCAT('h2', o.seq))), 40))),
       1 + o.seq % 20, (o.seq - 1) DIV 5 % ${c.series} + 1, (o.seq - 1) % 5 + 1,
       IF(o.seq % 17 = 0, 1 + o.seq % ${c.relations}, NULL)
  FROM seq_1_to_${c.submissions} o WHERE o.seq % 6 <> 0;
`,
    comment: `${pre}
INSERT INTO patchwork_comment (id, msgid, date, headers, submitter_id, content, submission_id)
SELECT o.seq, CONCAT('<c', o.seq, '.', LEFT(MD5(CONCAT('cm', o.seq)), 12), '@mail.example.org>'),
       TIMESTAMP'2019-01-01 00:00:00' + INTERVAL (29 * o.seq) SECOND,
       CONCAT('Received: from relay.example.org\\n', ${text("'ch', o.seq", 27)}),
       1 + ${h("CONCAT('cs', o.seq)")} % ${c.people},
       IF(o.seq % 19 = 0, NULL, CONCAT('On Monday someone wrote — «quoted»:\\n', ${text("'cc', o.seq", `10 + ${h("CONCAT('cl', o.seq)")} % 25`)})),
       1 + (o.seq - 1) % ${c.submissions}
  FROM seq_1_to_${c.comments} o;
`,
    check: `${pre}
INSERT INTO patchwork_check (id, patch_id, user_id, date, state, target_url, description, context, data)
SELECT o.seq, IF(p.p % 6 = 0, p.p - 1, p.p), 1 + o.seq % ${c.users},
       TIMESTAMP'2019-01-01 00:00:00' + INTERVAL (23 * o.seq) SECOND,
       ELT(1 + o.seq % 4, 'pending', 'success', 'warning', 'fail'),
       IF(o.seq % 3 = 0, CONCAT('https://ci.example.org/build/', o.seq), NULL),
       IF(o.seq % 5 = 0, NULL, CONCAT('build ', MD5(CONCAT('cd', o.seq)), ' passed on x86_64 ✔')),
       CONCAT('ci/', ELT(1 + o.seq % 4, 'build', 'test', 'lint', 'sparse')),
       JSON_OBJECT('k', o.seq, 'ok', o.seq % 4 <> 3, 'log', MD5(CONCAT('cl', o.seq)))
  FROM seq_1_to_${c.checks} o JOIN (SELECT seq, 1 + (seq - 1) % ${c.submissions} AS p FROM seq_1_to_${c.checks}) p ON p.seq = o.seq;
INSERT INTO patchwork_patchtag (id, patch_id, tag_id, count)
SELECT ROW_NUMBER() OVER (ORDER BY i.seq, t.seq), i.seq, t.seq, 1 + (i.seq + t.seq) % 3
  FROM seq_1_to_${c.submissions} i JOIN seq_1_to_2 t
 WHERE i.seq % 6 <> 0 AND (i.seq + t.seq) % 5 <> 0;
INSERT INTO patchwork_bundlepatch (id, bundle_id, patch_id, \`order\`)
SELECT k, b, (n DIV 5) * 6 + n % 5 + 1, j + 1 FROM (
  SELECT k.seq AS k, 1 + (k.seq - 1) % ${c.bundles} AS b, (k.seq - 1) DIV ${c.bundles} AS j,
         (37 * (1 + (k.seq - 1) % ${c.bundles}) + 811 * ((k.seq - 1) DIV ${c.bundles})) % ${patches - 5} AS n
    FROM seq_1_to_${c.bundlepatches} k) x;
`,
  }
}

export async function dropMysql(db, server = MY) {
  await must(`${mysqlCli('', '', server)} -e ${q(`DROP DATABASE IF EXISTS \`${db}\``)}`)
}

/** Creates `db` with the fixture schema and `scale` × 50k submissions, big tables in parallel sessions. */
export async function generateMysql(db, scale, log = () => {}, server = MY) {
  const s = sections(counts(scale))
  await dropMysql(db, server)
  await must(`${mysqlCli('', '', server)} -e ${q(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)}`)
  await must(`${mysqlCli(db, '', server)} < ${q(SCHEMA)}`)
  const t0 = Date.now()
  const run = (name) => must(mysqlCli(db, '', server), { input: s[name] })
  await run('small')
  await Promise.all(['submission', 'patch', 'comment', 'check'].map(run))
  const tables = (await must(`${mysqlCli(db, '-N -B', server)} -e 'SHOW TABLES'`)).stdout.trim().split('\n')
  await must(`${mysqlCli(db, '', server)} -e ${q(`ANALYZE TABLE ${tables.map((t) => `\`${t}\``).join(', ')}`)}`)
  log(`generated in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
}
