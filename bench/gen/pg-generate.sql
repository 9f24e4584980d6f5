-- Patchwork-shaped bench data for PostgreSQL, generated on the server (psql -v scale=N).
-- Run after fixtures/patchwork/postgres/schema.sql on an empty database. Deterministic:
-- every value is derived from generate_series indices through md5, so two runs at the same
-- scale produce the same rows. Scale 1 ≈ 50k submissions, ≈ 1.05M rows, ≈ 1.7 GB as COPY text.
-- The big tables (submission, patch, comment, check) are filled by separate sessions in
-- parallel: see bench/lib/generate.mjs, which runs the sections of this file between the
-- `-- @section NAME` markers.

-- @section small
SET session_replication_role = replica;  -- no FK triggers while generating
CREATE FUNCTION public.dd_bench_h(t text) RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT ('x' || substr(md5(t), 1, 7))::bit(28)::integer $$;
-- n lines of diff-like text (~54 bytes a line), derived from seed.
CREATE FUNCTION public.dd_bench_text(seed text, n integer) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT string_agg(substr(' +- +', 1 + g % 5, 1) || substr(md5(seed || g), 1, 8 + g % 24) || ' ' || md5(g || seed), E'\n')
            FROM generate_series(1, n) AS g $$;
CREATE TABLE public.dd_bench_scale AS SELECT :'scale'::numeric AS scale,
    round(2000 * :'scale'::numeric)::int AS users, round(10000 * :'scale'::numeric)::int AS people,
    round(2000 * :'scale'::numeric)::int AS relations, round(10000 * :'scale'::numeric)::int AS series,
    round(50000 * :'scale'::numeric)::int AS submissions, round(330000 * :'scale'::numeric)::int AS comments,
    round(400000 * :'scale'::numeric)::int AS checks, round(2000 * :'scale'::numeric)::int AS bundles,
    round(120000 * :'scale'::numeric)::int AS bundlepatches;

INSERT INTO public.auth_user (id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
SELECT u, 'pbkdf2_sha256$260000$' || md5('salt' || u) || '$' || md5('pw' || u),
       CASE WHEN u % 7 = 0 THEN NULL ELSE timestamptz '2020-06-01 12:00:00+00' + (dd_bench_h('ll' || u) % 40000) * interval '1 minute' END,
       u = 1, 'user' || u, (ARRAY['José','Zoë','Łukasz','Ørjan','Иван','たかし','Wei','Seán'])[1 + u % 8],
       (ARRAY['García','Müller','O''Brien','佐藤','Петров','Nguyễn'])[1 + u % 6], 'user' || u || '@example.org',
       u <= 5, u % 13 <> 0, timestamptz '2018-01-01 00:00:00+00' + u * interval '3 hours'
  FROM dd_bench_scale, generate_series(1, users) AS u;

INSERT INTO public.patchwork_project (id, linkname, name, listid, listemail, list_aliases, send_notifications)
SELECT p, 'project' || p, 'Project ' || p || ' — «ü»', 'project' || p || '.lists.example.org', 'project' || p || '@lists.example.org',
       ARRAY['p' || p || '@vger.example.org'], p % 2 = 0
  FROM generate_series(1, 20) AS p;

INSERT INTO public.patchwork_person (id, email, name, user_id)
SELECT i, 'person' || i || '@' || (ARRAY['example.org','bücher.example','example.co.jp'])[1 + i % 3],
       CASE WHEN i % 97 = 0 THEN NULL ELSE 'Person ' || i || ' ' || (ARRAY['Dvořák','Søndergaard','田中','Yılmaz'])[1 + i % 4] END,
       CASE WHEN i % 5 = 0 THEN (i / 5 - 1) % users + 1 END
  FROM dd_bench_scale, generate_series(1, people) AS i;

INSERT INTO public.patchwork_state (id, name, slug, ordering, action_required)
SELECT s, 'State ' || s, 'state-' || s, s, s < 3 FROM generate_series(1, 8) AS s;
INSERT INTO public.patchwork_patchrelation (id) SELECT generate_series(1, relations) FROM dd_bench_scale;
INSERT INTO public.patchwork_tag (id, name, pattern, abbrev) VALUES
    (1, 'Acked-by', '^Acked-by:', 'A'), (2, 'Reviewed-by', '^Reviewed-by:', 'R'), (3, 'Tested-by', '^Tested-by:', 'T');

-- Every 6th submission is a cover letter; series j holds submissions 5j-4 … 5j (patches numbered 1..5).
INSERT INTO public.patchwork_coverletter (submission_ptr_id)
SELECT i FROM dd_bench_scale, generate_series(6, submissions, 6) AS i;
INSERT INTO public.patchwork_series (id, project_id, cover_letter_id, name, date, submitter_id, version, total)
SELECT j, 1 + j % 20, CASE WHEN 6 * j <= submissions THEN 6 * j END, 'series ' || j || ': ' || md5('s' || j),
       timestamp '2019-01-01' + j * interval '17 minutes', 1 + (j * 7) % people, 1 + j % 3, 5
  FROM dd_bench_scale, generate_series(1, series) AS j;

INSERT INTO public.patchwork_bundle (id, owner_id, project_id, name, public)
SELECT b, 1 + (b - 1) % users, 1 + b % 20, 'bundle-' || b, b % 3 = 0 FROM dd_bench_scale, generate_series(1, bundles) AS b;

-- @section submission
SET session_replication_role = replica;
INSERT INTO public.patchwork_submission (id, msgid, date, headers, list_meta, submitter_id, content, name, project_id)
SELECT i, '<' || md5('m' || i) || '@mail.example.org>', timestamp '2019-01-01' + i * interval '3 minutes 7 seconds',
       'Received: from mail.example.org' || E'\n' || dd_bench_text('h' || i, 45),
       CASE WHEN i % 4 = 0 THEN NULL ELSE jsonb_build_object('list', 'project' || (1 + i % 20), 'n', i, 'tags', jsonb_build_array('a', 'ü')) END,
       1 + dd_bench_h('sb' || i) % people,
       CASE WHEN i % 11 = 0 THEN NULL ELSE 'Hi all,' || E'\n' || dd_bench_text('c' || i, 28) END,
       '[PATCH v' || (1 + i % 3) || ' ' || (1 + (i - 1) % 5) || '/5] subsystem: fix ' || md5('n' || i),
       1 + i % 20
  FROM dd_bench_scale, generate_series(1, submissions) AS i;

-- @section patch
SET session_replication_role = replica;
INSERT INTO public.patchwork_patch (submission_ptr_id, diff, commit_ref, pull_url, delegate_id, state_id, archived, hash,
                                    patch_project_id, series_id, number, related_id)
SELECT i, 'diff --git a/drivers/net/dd' || i || '.c b/drivers/net/dd' || i || E'.c\n--- a/x\n+++ b/x\n@@ -1,5 +1,6 @@\n'
          || dd_bench_text('d' || i, 80 + dd_bench_h('dl' || i) % 300),
       CASE WHEN i % 9 = 0 THEN md5('cr' || i) END, NULL,
       CASE WHEN i % 4 = 0 THEN 1 + i % users END, 1 + i % 8, i % 10 = 0,
       CASE WHEN i % 13 = 0 THEN NULL ELSE decode(substr(md5('hash' || i) || md5('h2' || i), 1, 40), 'hex') END,
       1 + i % 20, (i - 1) / 5 % series + 1, (i - 1) % 5 + 1,
       CASE WHEN i % 17 = 0 THEN 1 + i % relations END
  FROM dd_bench_scale, generate_series(1, submissions) AS i WHERE i % 6 <> 0;

-- @section comment
SET session_replication_role = replica;
INSERT INTO public.patchwork_comment (id, msgid, date, headers, submitter_id, content, submission_id)
SELECT k, '<c' || k || '.' || substr(md5('cm' || k), 1, 12) || '@mail.example.org>',
       timestamp '2019-01-01' + k * interval '29 seconds',
       'Received: from relay.example.org' || E'\n' || dd_bench_text('ch' || k, 27),
       1 + dd_bench_h('cs' || k) % people,
       CASE WHEN k % 19 = 0 THEN NULL ELSE 'On Monday someone wrote — «quoted»:' || E'\n' || dd_bench_text('cc' || k, 10 + dd_bench_h('cl' || k) % 25) END,
       1 + (k - 1) % submissions
  FROM dd_bench_scale, generate_series(1, comments) AS k;

-- @section check
SET session_replication_role = replica;
INSERT INTO public.patchwork_check (id, patch_id, user_id, date, state, target_url, description, context, data)
SELECT k, CASE WHEN p % 6 = 0 THEN p - 1 ELSE p END, 1 + k % users,
       timestamptz '2019-01-01 00:00:00+00' + k * interval '23 seconds',
       (ARRAY['pending','success','warning','fail']::patchwork_check_state[])[1 + k % 4],
       CASE WHEN k % 3 = 0 THEN 'https://ci.example.org/build/' || k END,
       CASE WHEN k % 5 = 0 THEN NULL ELSE 'build ' || md5('cd' || k) || ' passed on x86_64 ✔' END,
       'ci/' || (ARRAY['build','test','lint','sparse'])[1 + k % 4],
       jsonb_build_object('k', k, 'ok', k % 4 <> 3, 'log', md5('cl' || k))
  FROM dd_bench_scale, generate_series(1, checks) AS k, LATERAL (SELECT 1 + (k - 1) % submissions AS p) AS q;

INSERT INTO public.patchwork_patchtag (id, patch_id, tag_id, count)
SELECT row_number() OVER (ORDER BY i, t), i, t, 1 + (i + t) % 3
  FROM dd_bench_scale, generate_series(1, submissions) AS i, generate_series(1, 2) AS t
 WHERE i % 6 <> 0 AND (i + t) % 5 <> 0;

-- Bundle b holds the patches n = (37 b + 811 j) mod patches, j = 0 … (distinct per bundle).
INSERT INTO public.patchwork_bundlepatch (id, bundle_id, patch_id, "order")
SELECT k, b, (n / 5) * 6 + n % 5 + 1, j + 1
  FROM dd_bench_scale,
       LATERAL (SELECT (submissions - submissions / 6) AS patches) AS pc,
       generate_series(1, bundlepatches) AS k,
       LATERAL (SELECT 1 + (k - 1) % bundles AS b, (k - 1) / bundles AS j) AS bj,
       LATERAL (SELECT (37 * b + 811 * j) % (patches - 5) AS n) AS nn;

-- @section finish
DROP TABLE public.dd_bench_scale;
DROP FUNCTION public.dd_bench_text(text, integer);
DROP FUNCTION public.dd_bench_h(text);
DO $$
DECLARE r record; m bigint;
BEGIN
  FOR r IN SELECT c.relname, pg_get_serial_sequence(format('public.%I', c.relname), 'id') AS seq
             FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'id'
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' LOOP
    CONTINUE WHEN r.seq IS NULL;
    EXECUTE format('SELECT max(id) FROM public.%I', r.relname) INTO m;
    PERFORM setval(r.seq, greatest(coalesce(m, 1), 1));
  END LOOP;
END $$;
