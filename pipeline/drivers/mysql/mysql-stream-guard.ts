import type { Readable } from 'node:stream'
import type { MysqlConn } from './mysql-connect.ts'

/**
 * mysql2 reports a connection that broke under a streaming query (one without a callback)
 * to the connection only, never to the query: its row stream would wait forever, and a dump
 * would hang instead of failing. This destroys the stream with the connection's error (a
 * transient one, see mysql-transient.ts), so that the unit can be retried.
 */
export function failWithConnection<T extends Readable>(conn: MysqlConn, stream: T): T {
  const onError = (error: Error) => { stream.destroy(error) }
  const onEnd = () => {
    stream.destroy(Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true }))
  }
  conn.raw.on('error', onError)
  conn.raw.on('end', onEnd)
  stream.once('close', () => {
    conn.raw.off('error', onError)
    conn.raw.off('end', onEnd)
  })
  return stream
}
