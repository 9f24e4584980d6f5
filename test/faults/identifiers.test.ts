/**
 * Names that need quoting everywhere (quotes, backticks, spaces, dots, unicode, SQL keywords,
 * in the database, schema, table, column, index, constraint and type names) go through the
 * whole pipeline on both engines: snapshot, dump files, staging, load back, verification at
 * both hops, swap; the live database ends equal to the original.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { cleanupCommand } from '../../pipeline/commands/cleanup-command.ts'
import { configIn, readReport, removeTempDirs, RUN_OPTIONS, tempDir } from '../helpers/drydock.ts'
import * as my from '../helpers/mysql.ts'
import * as pgh from '../helpers/postgres.ts'

afterAll(() => removeTempDirs())

describe('PostgreSQL: identifiers that need quoting, through the whole pipeline', () => {
  const prefix = pgh.uniquePrefix('flt')
  const live = `${prefix}_we"ird db`
  const url = (db: string) => pgh.pgUrl(encodeURIComponent(db))
  afterAll(async () => { await pgh.dropDatabasesWithPrefix(prefix) })

  it('carries them, verifies both hops, swaps, and live equals the original', async () => {
    await pgh.createDatabase(live)
    await pgh.sql(live, `
      CREATE SCHEMA "odd schema.ü ""q""";
      CREATE TYPE "odd schema.ü ""q"""."mood ""x""" AS ENUM ('a', 'b c');
      CREATE TABLE "odd schema.ü ""q"""."select ""table"" with.dots ü" (
        "id" serial PRIMARY KEY,
        "from" text,
        "col ""quoted"", with space" int,
        "a.b" numeric(10, 2),
        "ünïcödé 😀" text,
        "tab	in name" text,
        "order" "odd schema.ü ""q"""."mood ""x"""
      );
      CREATE INDEX "idx ""weird"" ü" ON "odd schema.ü ""q"""."select ""table"" with.dots ü" ("col ""quoted"", with space");
      CREATE TABLE public."user" (
        "group" int PRIMARY KEY,
        "select" int CONSTRAINT "fk ""x""" REFERENCES "odd schema.ü ""q"""."select ""table"" with.dots ü" ("id")
      );
      CREATE VIEW public."view ""v""" AS SELECT "from" FROM "odd schema.ü ""q"""."select ""table"" with.dots ü";
      INSERT INTO "odd schema.ü ""q"""."select ""table"" with.dots ü" ("from", "col ""quoted"", with space", "a.b", "ünïcödé 😀", "tab	in name", "order")
        SELECT 'from ' || i, i, i / 3.0, 'ü😀' || i, E'\\t' || i, CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b c' END::"odd schema.ü ""q"""."mood ""x"""
          FROM generate_series(1, 40) i;
      INSERT INTO public."user" SELECT i, i FROM generate_series(1, 40) i;
    `)
    const before = await pgh.databaseState(live)
    const dir = tempDir('flt-ident-pg')
    const config = configIn(dir, { source: url(live), staging: url(`${prefix}_stg "x"`) })
    const result = await runUpgrade(config, RUN_OPTIONS)
    const report = readReport(result.runDir)
    expect(report.verdict).toBe('verified')
    expect(report.hop1.verified).toBe(2)
    expect(report.hop2.verified).toBe(2)
    // The schema swap keeps the old schemas beside the live ones until --cleanup (odd names too).
    await cleanupCommand(result.runDir, undefined)
    expect(await pgh.databaseState(live)).toEqual(before)
    const next = await pgh.sql(live, 'SELECT nextval(pg_get_serial_sequence(\'"odd schema.ü ""q"""."select ""table"" with.dots ü"\', \'id\')) AS n')
    expect(next[0]!.n).toBe('41')
  })
})

describe('MySQL: identifiers that need quoting, through the whole pipeline', () => {
  const prefix = my.uniquePrefix('flt')
  const live = `${prefix}_we"ird db`
  afterAll(async () => { await my.dropDatabasesWithPrefix(prefix) })

  it('carries them, verifies both hops, swaps, and live equals the original', async () => {
    await my.createDatabase(live)
    await my.sql(live, `
      CREATE TABLE \`select "t" with.dots ünï\` (
        \`id\` INT AUTO_INCREMENT PRIMARY KEY,
        \`from\` TEXT,
        \`col "quoted", with space\` INT,
        \`a.b\` DECIMAL(10, 2),
        \`back\`\`tick 'q'\` VARCHAR(20),
        \`order\` ENUM('a', 'b c'),
        KEY \`idx "weird" €\` (\`col "quoted", with space\`)
      ) ENGINE=InnoDB;
      CREATE TABLE \`user\` (
        \`group\` INT PRIMARY KEY, \`key\` INT,
        CONSTRAINT \`fk "x"\` FOREIGN KEY (\`key\`) REFERENCES \`select "t" with.dots ünï\` (\`id\`)
      ) ENGINE=InnoDB;
      CREATE VIEW \`view \`\`v\`\`\` AS SELECT \`from\` FROM \`select "t" with.dots ünï\`;
      INSERT INTO \`select "t" with.dots ünï\` (\`from\`, \`col "quoted", with space\`, \`a.b\`, \`back\`\`tick 'q'\`, \`order\`)
        SELECT CONCAT('from ', seq), seq, seq / 3, CONCAT('ü', seq), IF(seq % 2 = 0, 'a', 'b c') FROM seq_1_to_40;
      INSERT INTO \`user\` SELECT seq, seq FROM seq_1_to_40;
    `)
    const before = await my.databaseState(live)
    const counter = await my.autoIncrement(live, 'select "t" with.dots ünï')
    const dir = tempDir('flt-ident-my')
    const config = configIn(dir, { source: my.myUrl(live), staging: my.myUrl(`${prefix}_stg "x"`) })
    const result = await runUpgrade(config, RUN_OPTIONS)
    const report = readReport(result.runDir)
    expect(report.verdict).toBe('verified')
    expect(report.hop1.verified).toBe(2)
    expect(report.hop2.verified).toBe(2)
    expect(await my.databaseState(live)).toEqual(before)
    expect(await my.autoIncrement(live, 'select "t" with.dots ünï')).toBe(counter)
  })
})
