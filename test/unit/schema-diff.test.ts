import { describe, expect, it } from 'vitest'
import { statements } from '../../pipeline/report/schema-diff.ts'

describe('schema statements for the report\'s schema change', () => {
  it('keeps a function body with semicolons whole and leaves session noise out', () => {
    const sql = [
      '--', '-- Name: f; Type: FUNCTION', '--', '\\restrict abc', 'SET lock_timeout = 0;',
      'CREATE FUNCTION "public"."f"() RETURNS integer', '    LANGUAGE "plpgsql"', '    AS $$', 'BEGIN', '  PERFORM 1;', '  RETURN 2;', 'END', '$$;',
      '', 'CREATE TABLE "public"."t" (', '    "id" integer', ');',
    ].join('\n')
    expect(statements(sql)).toEqual([
      'CREATE FUNCTION "public"."f"() RETURNS integer LANGUAGE "plpgsql" AS $$ BEGIN PERFORM 1; RETURN 2; END $$;',
      'CREATE TABLE "public"."t" ( "id" integer );',
    ])
  })
})
