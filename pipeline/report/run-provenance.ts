import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { hostname, userInfo } from 'node:os'
import type { ParsedConfig } from '../config/config.ts'
import { describeEndpoint, type Endpoint } from '../config/endpoint.ts'
import type { Provenance } from '../run-state/stage-records.ts'
import { redactSecrets, redactUrls } from '../util/redact.ts'
import { drydockVersion } from '../util/version.ts'

/** Environment values of steps whose name says they hold a secret are never shown. */
const SECRET_NAME = /pass|secret|token|key|credential/i

export function provenance(config: ParsedConfig): Provenance {
  const passwords = [config.source, config.staging, config.target]
    .map((e) => (typeof e === 'object' ? e.password : undefined)).filter((p): p is string => !!p)
  const clean = (text: string) => redactSecrets(redactUrls(text), passwords)
  const endpoint = (e: Endpoint | string) => (typeof e === 'string' ? e : describeEndpoint(e))
  let user = 'unknown'
  try {
    user = userInfo().username
  } catch {
    // no passwd entry for this uid (containers): say so rather than guess
  }
  return {
    user: process.env.SUDO_USER ? `${user} (sudo from ${process.env.SUDO_USER})` : user,
    host: hostname(),
    drydock: { ...drydockVersion() },
    configSha256: existsSync(config.file) ? createHash('sha256').update(readFileSync(config.file)).digest('hex') : null,
    config: {
      file: config.file,
      source: endpoint(config.source),
      staging: endpoint(config.staging),
      target: endpoint(config.target),
      ...(config.schemas ? { schemas: config.schemas } : {}),
      tables: { include: config.include, exclude: config.exclude },
      migrate: config.steps.map((s) => ({
        name: s.name, kind: s.kind, [s.kind]: clean(s.spec),
        ...(s.kind === 'command' ? { cwd: s.cwd } : {}),
        ...(Object.keys(s.env).length ? { env: Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, SECRET_NAME.test(k) ? '(hidden)' : clean(v)])) } : {}),
      })),
      hooks: Object.fromEntries(Object.entries(config.hooks).map(([point, command]) => [point, clean(command ?? '')])),
      expect: config.expectations.map((e) => e.name),
      ...(config.throttle ? { throttle: { ...config.throttle, replicas: config.throttle.replicas.map(endpoint) } } : {}),
      jobs: config.jobs ?? null, partMB: config.partMB ?? null, direct: config.direct, compress: config.compress,
      idleLimitSeconds: config.idleLimitSeconds,
    },
  }
}
