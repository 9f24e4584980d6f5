/**
 * Patchwork 2.x → 3.0 step 4 as a transform: each comment goes to patchwork_covercomment when
 * it answers a cover letter (a lookup of the cover letter ids, loaded once), else to
 * patchwork_patchcomment. The config's expectations check that no comment was lost.
 */
import { defineTransform, type Row } from 'drydock'

type Comment = Row & { id: string; submission_id: string; msgid: string; date: string; headers: string; submitter_id: string; content: string | null }

export default defineTransform({
  name: 'patchwork-split-comments',
  source: 'patchwork_comment',
  lookups: { covers: { table: 'patchwork_coverletter', key: 'submission_ptr_id', maxRows: 2_000_000 } },
  target: { patch: 'patchwork_patchcomment', cover: 'patchwork_covercomment' },
  transform(c: Comment, ctx) {
    const { submission_id, ...common } = c
    return ctx.lookups.covers.has(submission_id)
      ? { cover: { ...common, cover_id: submission_id } }
      : { patch: { ...common, patch_id: submission_id } }
  },
})
