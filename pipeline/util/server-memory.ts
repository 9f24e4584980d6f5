import { readFileSync } from 'node:fs'
import { freemem, totalmem } from 'node:os'

const MiB = 1024 * 1024

function readNumber(file: string, pattern?: RegExp): number | undefined {
  try {
    const text = readFileSync(file, 'utf8')
    const match = pattern ? pattern.exec(text) : /^(\d+)\s*$/.exec(text)
    return match ? Number(match[1]) : undefined
  } catch {
    return undefined
  }
}

/**
 * Memory that can be given out now without pushing anything to swap: Linux's MemAvailable
 * (free memory plus page cache that can be dropped), less by a cgroup limit drydock runs
 * under (a container); elsewhere the free memory.
 */
export function availableMemory(): number {
  const kB = readNumber('/proc/meminfo', /^MemAvailable:\s+(\d+) kB/m)
  const machine = kB === undefined ? freemem() : kB * 1024
  const limit = readNumber('/sys/fs/cgroup/memory.max')
  const used = readNumber('/sys/fs/cgroup/memory.current')
  return limit !== undefined && used !== undefined ? Math.min(machine, Math.max(0, limit - used)) : machine
}

/**
 * The ephemeral server's page cache (InnoDB buffer pool, PostgreSQL shared_buffers) in MiB.
 * Enough to hold the data as a migration that rebuilds tables leaves it: three times the
 * catalog size (the old rows, their new copy or row versions, the indexes built over them),
 * so the migration neither reads pages back nor writes dirty ones out to make room. Never
 * more than half of the memory available when the server starts (the rest stays for the
 * server's sorts and sessions, drydock, the page cache the dump files pass through, and other
 * processes), never less than 256 MiB. Without a data size: an eighth of the machine.
 */
export function cacheMB(dataBytes: number | undefined, available = availableMemory(), total = totalmem()): number {
  const want = dataBytes === undefined ? total / 8 : dataBytes * 3 + 256 * MiB
  return Math.max(256, Math.floor(Math.min(want, available / 2) / MiB))
}
