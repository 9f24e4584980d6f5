/**
 * Staging behaves as production for the migration (MariaDB): one migration, run in place on a
 * twin of the database and through drydock, ends with the same schema; and a swap whose
 * objects cannot be recreated is undone, not left half-way.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { mysqlDriver } from '../../pipeline/drivers/mysql/mysql-driver.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { configIn, expectDrydockError, readReport, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import {
  createDatabase, databaseExists, databaseState, dropDatabasesWithPrefix, MY_HOST, MY_PORT, MY_USER, myUrl, schemaOf, sql, uniquePrefix,
} from '../helpers/mysql.ts'

const prefix = uniquePrefix('inplace')
const run = promisify(execFile)

afterAll(async () => {
  await dropDatabasesWithPrefix(prefix)
  removeTempDirs()
})

/** Runs a SQL file with the mariadb client, as the migration step does; the error text when it fails. */
async function mariadb(database: string, file: string): Promise<string | undefined> {
  try {
    await run('mariadb', [`--host=${MY_HOST}`, `--port=${MY_PORT}`, `--user=${MY_USER}`, '--batch', database, '-e', `source ${file}`])
    return undefined
  } catch (error) {
    return ((error as { stderr?: string }).stderr ?? String(error)).trim().replace(/^ERROR \d+ \([^)]*\) at line \d+ in file: '[^']*': /, '')
  }
}

// Named and unnamed foreign keys whose index InnoDB made, beside one declared by hand.
const SEED = `
CREATE TABLE owners (id INT PRIMARY KEY, code INT, UNIQUE KEY owners_code (code));
CREATE TABLE pets (
  id INT PRIMARY KEY, owner_id INT, kind INT, vet_code INT, tag INT,
  CONSTRAINT pets_owner FOREIGN KEY (owner_id) REFERENCES owners (id),
  FOREIGN KEY (vet_code) REFERENCES owners (code)
);
ALTER TABLE pets ADD KEY pets_tag (tag);
CREATE TABLE visits (id INT PRIMARY KEY, owner_id INT, day INT, KEY visits_owner (owner_id),
  CONSTRAINT visits_owner FOREIGN KEY (owner_id) REFERENCES owners (id));
INSERT INTO owners VALUES (1, 10), (2, 20);
INSERT INTO pets VALUES (1, 1, 1, 10, 5), (2, 2, 1, 20, 6);
INSERT INTO visits VALUES (1, 1, 3);
`

// A UNIQUE key that can serve the foreign keys: InnoDB drops its own indexes, keeps a declared one.
const UP = `ALTER TABLE pets ADD UNIQUE KEY pets_owner_kind (owner_id, kind), ADD UNIQUE KEY pets_vet_kind (vet_code, kind);
ALTER TABLE visits ADD UNIQUE KEY visits_owner_day (owner_id, day);
`
const DOWN = 'ALTER TABLE pets DROP INDEX pets_owner_kind;\n'

describe('MariaDB: a migration gives the same schema through drydock as in place', () => {
  it('foreign keys keep the indexes InnoDB made as InnoDB made them', async () => {
    const inPlace = `${prefix}_twin`
    const live = `${prefix}_live`
    for (const db of [inPlace, live]) {
      await createDatabase(db)
      await sql(db, SEED)
    }
    expect(await schemaOf(live)).toBe(await schemaOf(inPlace))
    const dir = tempDir('inplace')
    const up = writeFile(dir, 'up.sql', UP)
    const down = writeFile(dir, 'down.sql', DOWN)

    expect(await mariadb(inPlace, up)).toBeUndefined()
    const config = configIn(dir, { source: myUrl(live), staging: myUrl(`${prefix}_stg`), migrate: [{ sql: 'up.sql' }] })
    const result = await runUpgrade(config, RUN_OPTIONS)
    expect(readReport(result.runDir).verdict).toBe('verified')

    const schema = await schemaOf(live)
    expect(schema).toBe(await schemaOf(inPlace))
    // InnoDB's own indexes went; the declared one stayed.
    expect(schema).not.toContain('KEY `pets_owner` (`owner_id`)')
    expect(schema).not.toContain('KEY `vet_code` (`vet_code`)')
    expect(schema).toContain('KEY `visits_owner` (`owner_id`)')
    // The downgrade goes alike (the same error, or none) and leaves the same schema.
    expect(await mariadb(live, down)).toBe(await mariadb(inPlace, down))
    expect(await schemaOf(live)).toBe(await schemaOf(inPlace))
  })

  it('a swap whose views cannot be recreated is undone: DD_SWAP_FAILED, live as it was', async () => {
    const live = `${prefix}_sw`
    const shadow = `${prefix}_sw_shadow`
    const backup = `${prefix}_sw_backup`
    const elsewhere = `${prefix}_sw_other`
    for (const db of [live, shadow, elsewhere]) await createDatabase(db)
    await sql(live, "CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(5)); INSERT INTO items VALUES (1, 'old'); CREATE VIEW item_view AS SELECT id FROM items; CREATE FUNCTION one() RETURNS INT DETERMINISTIC RETURN 1")
    await sql(elsewhere, 'CREATE TABLE gone (id INT)')
    await sql(shadow, `CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(5)); INSERT INTO items VALUES (1, 'new');
      CREATE VIEW item_view AS SELECT id FROM items; CREATE VIEW broken AS SELECT id FROM \`${elsewhere}\`.gone; CREATE FUNCTION one() RETURNS INT DETERMINISTIC RETURN 2`)
    // The shadow's view cannot be made again once the table it reads is gone.
    await sql(elsewhere, 'DROP TABLE gone')
    const liveBefore = await databaseState(live)
    const shadowBefore = await databaseState(shadow)

    const error = await expectDrydockError(mysqlDriver.swap(parseEndpoint(myUrl(live), 'source'), shadow, backup), 'DD_SWAP_FAILED')
    expect(error.message).toMatch(/failed and was undone: recreating views, triggers or routines failed: .*gone/)
    expect(await databaseState(live)).toEqual(liveBefore)
    expect(await sql(live, 'SELECT one() AS n, (SELECT COUNT(*) FROM item_view) AS c')).toEqual([{ n: '1', c: '1' }])
    // The copy keeps its tables (its broken view cannot be made again anywhere).
    expect((await databaseState(shadow)).data).toEqual(shadowBefore.data)
    expect(await databaseExists(backup)).toBe(false)
  })
})
