import type { Driver, TableRef } from '../drivers/driver.ts'
import type { Endpoint } from '../endpoint.ts'

const SAMPLE_MS = 2000
const SAMPLE_BYTES = 200e6

/**
 * Bytes per second one worker reads from `table` in the dump format, measured for at most
 * two seconds; the connection is closed afterwards (that cancels the rest of the COPY).
 */
export async function sampleReadRate(driver: Driver, source: Endpoint, table: TableRef): Promise<number | undefined> {
  const session = await driver.connect(source)
  const started = Date.now()
  let bytes = 0
  try {
    const reader = await session.readTable(table)
    for await (const chunk of reader.stream) {
      bytes += (chunk as Buffer).length
      if (Date.now() - started > SAMPLE_MS || bytes > SAMPLE_BYTES) {
        reader.stream.destroy()
        break
      }
    }
  } catch {
    // a sample that fails leaves no estimate, nothing worse
  } finally {
    await session.close()
  }
  const seconds = (Date.now() - started) / 1000
  return bytes > 0 && seconds > 0 ? bytes / seconds : undefined
}
