// Where the CPU goes while something runs: samples /proc every 250 ms and splits the machine's
// CPU time into the drydock node process, the database server processes, other processes
// (pg_dump, psql, …) and iowait/idle, per time window (stages).
import { readdirSync, readFileSync } from 'node:fs'

const TICK = 100 // USER_HZ on Linux

function procStat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ')
    const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'))
    return { pid, comm, ppid: Number(rest[1]), cpu: (Number(rest[11]) + Number(rest[12])) / TICK }
  } catch {
    return undefined
  }
}

function machine() {
  const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n')
  const v = cpu.trim().split(/\s+/).slice(1).map(Number)
  return { busy: (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / TICK, iowait: v[4] / TICK, idle: v[3] / TICK }
}

/** Classifies a process: the node under test (by pid), the server, or other. */
function classify(p, nodePid, serverComms) {
  if (p.pid === nodePid) return 'node'
  if (serverComms.some((c) => p.comm.startsWith(c))) return 'server'
  return 'other'
}

export function startSampler({ nodePid, serverComms = ['postgres', 'mariadbd', 'mysqld'] }) {
  const seen = new Map() // pid → last cpu
  const samples = []
  let last = machine()
  const take = () => {
    const now = Date.now()
    const m = machine()
    const by = { node: 0, server: 0, other: 0 }
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      const p = procStat(Number(entry))
      if (!p) continue
      const before = seen.get(p.pid) ?? 0
      seen.set(p.pid, p.cpu)
      // A process first seen now contributes its whole CPU time (it started since the last sample).
      by[classify(p, nodePid(), serverComms)] += Math.max(0, p.cpu - before)
    }
    samples.push({ at: now, ...by, busy: m.busy - last.busy, iowait: m.iowait - last.iowait, idle: m.idle - last.idle })
    last = m
  }
  // Prime the per-process counters so that processes running before the start do not count.
  for (const entry of readdirSync('/proc')) if (/^\d+$/.test(entry)) { const p = procStat(Number(entry)); if (p) seen.set(p.pid, p.cpu) }
  const timer = setInterval(take, 250)
  return {
    stop() {
      clearInterval(timer)
      take()
      return samples
    },
  }
}

/** Sums samples into windows [{name, from, to}] (ms timestamps); CPU seconds per class. */
export function windows(samples, spans) {
  return spans.map(({ name, from, to }) => {
    const sum = { name, seconds: (to - from) / 1000, node: 0, server: 0, other: 0, busy: 0, iowait: 0, idle: 0 }
    for (const s of samples) {
      if (s.at <= from || s.at > to + 250) continue
      for (const k of ['node', 'server', 'other', 'busy', 'iowait', 'idle']) sum[k] += s[k]
    }
    return sum
  })
}
