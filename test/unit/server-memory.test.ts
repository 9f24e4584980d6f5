import { describe, expect, it } from 'vitest'
import { availableMemory, cacheMB } from '../../pipeline/util/server-memory.ts'

const GiB = 1024 ** 3

describe('ephemeral staging memory (cacheMB)', () => {
  it('holds three times the data plus 256 MiB when the machine has room', () => {
    expect(cacheMB(1 * GiB, 20 * GiB, 24 * GiB)).toBe(3 * 1024 + 256)
  })
  it('never takes more than half of the memory available now', () => {
    expect(cacheMB(10 * GiB, 8 * GiB, 24 * GiB)).toBe(4096)
  })
  it('never less than 256 MiB, and an eighth of the machine when the data size is unknown', () => {
    expect(cacheMB(1024 * 1024, 100 * 1024 * 1024, 24 * GiB)).toBe(256)
    expect(cacheMB(undefined, 20 * GiB, 24 * GiB)).toBe(3 * 1024)
  })
  it('reads the available memory of this machine', () => {
    expect(availableMemory()).toBeGreaterThan(0)
  })
})
