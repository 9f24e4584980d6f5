/**
 * Patchwork 2.x → 3.0, the data half of steps 1–3 and 6 of the SQL upgrade in one pass:
 * every submission is read once together with its patchwork_patch row (a join on the key, both
 * read in key order), and written whole into its 3.0 table: patches (submission columns plus
 * the patch columns) into patchwork_patch3, cover letters into patchwork_cover. The SQL
 * version instead adds columns to patchwork_submission, UPDATEs every row (rewriting it),
 * copies the covers and DELETEs them again.
 *
 * Values pass through untouched (strings as the server prints them, bytes as Buffers), so the
 * same file works on PostgreSQL and MariaDB.
 */
import { defineTransform, type Row } from 'drydock'

type Submission = Row & { id: string; msgid: string; date: string; headers: string; list_meta: string | null; submitter_id: string; content: string | null; name: string; project_id: string }
type Patch = Row & { submission_ptr_id: string; patch_project_id: string }

export default defineTransform({
  name: 'patchwork-merge-patches',
  source: { table: 'patchwork_submission', join: { table: 'patchwork_patch', key: 'submission_ptr_id' } },
  lookups: { covers: { table: 'patchwork_coverletter', key: 'submission_ptr_id', maxRows: 2_000_000 } },
  target: { patches: 'patchwork_patch3', covers: 'patchwork_cover' },
  transform(s: Submission, ctx) {
    const base = {
      id: s.id, msgid: s.msgid, date: s.date, headers: s.headers, list_meta: s.list_meta,
      submitter_id: s.submitter_id, content: s.content, name: s.name, project_id: s.project_id,
    }
    const p = ctx.joined as Patch | undefined
    if (p) {
      if (p.patch_project_id !== s.project_id) throw new Error(`patch project ${p.patch_project_id} differs from submission project ${s.project_id}`)
      return {
        patches: {
          ...base, diff: p.diff, commit_ref: p.commit_ref, pull_url: p.pull_url, delegate_id: p.delegate_id, state_id: p.state_id,
          archived: p.archived, hash: p.hash, series_id: p.series_id, number: p.number, related_id: p.related_id,
        },
      }
    }
    // Neither a patch nor a cover letter: the SQL upgrade deletes such a submission too.
    return ctx.lookups.covers.has(s.id) ? { covers: base } : null
  },
})
