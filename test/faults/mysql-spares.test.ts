/**
 * MariaDB: the spare sessions opened with a snapshot replace lost workers at the snapshot's
 * instant; a spare whose connection died is skipped; when none is left, DD_SNAPSHOT_LOST
 * says so, resumable.
 */
import { afterAll, expect, it } from 'vitest'
import { mysqlDriver } from '../../pipeline/drivers/mysql/mysql-driver.ts'
import type { MysqlSession } from '../../pipeline/drivers/mysql/mysql-session.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { expectDrydockError } from '../helpers/drydock.ts'
import * as my from '../helpers/mysql.ts'

const prefix = my.uniquePrefix('spr')
const db = `${prefix}_src`
const TABLE = { schema: db, name: 't' }

afterAll(async () => { await my.dropDatabasesWithPrefix(prefix) })

it('a lost worker is replaced by a spare at the same instant; a dead spare is skipped; then DD_SNAPSHOT_LOST', async () => {
  await my.createDatabase(db)
  await my.sql(db, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'before')")
  const snapshot = await mysqlDriver.openSnapshot(parseEndpoint(my.myUrl(db), 'source'), 1)
  try {
    const worker = await snapshot.worker() as MysqlSession
    await my.sql(db, "INSERT INTO t VALUES (2, 'after'); UPDATE t SET v = 'changed' WHERE id = 1")
    // The two spares: this database's other sessions of the snapshot, opened in order after the worker.
    const [{ id: workerId }] = await worker.conn.query('SELECT CONNECTION_ID() AS id') as [{ id: string }]
    const holderId = /^ftwrl-(\d+)-/.exec(snapshot.id)![1]
    const spares = (await my.sql(null, 'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? ORDER BY ID', [db]))
      .map((r) => r.id!).filter((id) => id !== String(workerId) && id !== holderId)
    expect(spares).toHaveLength(2)
    await my.sql(null, `KILL CONNECTION ${Number(spares[0])}`)
    await worker.close()
    const replacement = await snapshot.worker() as MysqlSession
    const [{ id: replacementId }] = await replacement.conn.query('SELECT CONNECTION_ID() AS id') as [{ id: string }]
    expect(String(replacementId)).toBe(spares[1])
    expect(await my.rowsAsText(db, 't')).toHaveLength(2)
    const sum = await replacement.checksum(TABLE)
    expect(sum.rows).toBe(1)
    const error = await expectDrydockError(snapshot.worker(), 'DD_SNAPSHOT_LOST')
    expect(error.message).toMatch(/^3 connection\(s\) of the MySQL snapshot on 127\.0\.0\.1:3306 broke and its 2 spare session\(s\) are used up/)
    expect(error.ctx.hint).toContain('rerun with --resume')
  } finally {
    await snapshot.close()
  }
})
