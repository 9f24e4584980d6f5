import type { Session } from '../drivers/driver.ts'
import { driverFor } from '../drivers/registry.ts'
import type { Endpoint } from '../config/endpoint.ts'

/** Opens `count` sessions on an endpoint, runs `work`, and closes them whatever happens. */
export async function withEndpointSessions<T>(endpoint: Endpoint, count: number, work: (sessions: Session[]) => Promise<T>): Promise<T> {
  const driver = await driverFor(endpoint.engine)
  const opening = await Promise.allSettled(Array.from({ length: Math.max(1, count) }, () => driver.connect(endpoint)))
  const sessions = opening.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []))
  try {
    const failed = opening.find((o): o is PromiseRejectedResult => o.status === 'rejected')
    if (failed) throw failed.reason
    return await work(sessions)
  } finally {
    await Promise.all(sessions.map((s) => s.close()))
  }
}
