/** The programs a `sh -c` migration step runs, as pre-flight reads them (no servers). */
import { describe, expect, it } from 'vitest'
import { commandPrograms, findProgram } from '../../pipeline/safety/preflight/command-programs.ts'

const words = (line: string) => commandPrograms(line).map((p) => (p.how === 'file' ? `${p.dir}:${p.word}` : p.word))

describe('commandPrograms', () => {
  it('finds the first word of every simple command, after assignments and redirections', () => {
    expect(words('python3 manage.py migrate')).toEqual(['python3'])
    expect(words('FOO=1 BAR=x python3 manage.py migrate --noinput')).toEqual(['python3'])
    expect(words('flyway migrate && psql -c "select 1" | tee out.log; ./post.sh 2>&1')).toEqual(['flyway', 'psql', 'tee', '.:./post.sh'])
    expect(words('>log 2>&1 sqitch deploy')).toEqual(['sqitch'])
    expect(words('echo "a && nope"; true')).toEqual([])
  })

  it('follows cd for relative paths, and stops where it cannot follow', () => {
    expect(words('cd app && ./manage.py migrate && python3 x')).toEqual(['app:./manage.py', 'python3'])
    expect(words('cd "$APP" && ./manage.py migrate && python3 x')).toEqual(['python3'])
    expect(words('export PATH=/opt/bin:$PATH; tool')).toEqual([])
    expect(words('PATH=/opt/bin tool; other')).toEqual(['other'])
    expect(words('$TOOL migrate')).toEqual([])
    expect(words('(cd x && y)')).toEqual([])
    expect(words('a $(b) && c')).toEqual(['a'])
    expect(words('if true; then nope; fi')).toEqual([])
  })

  it('resolves on PATH or relative to the step folder', () => {
    expect(findProgram({ word: 'sh', how: 'path', dir: '.' }, '/', '/nowhere:/bin:/usr/bin')).toMatch(/\/sh$/)
    expect(findProgram({ word: 'dd-no-such-program', how: 'path', dir: '.' }, '/', '/bin:/usr/bin')).toBeUndefined()
    expect(findProgram({ word: './sh', how: 'file', dir: 'bin' }, '/', '')).toBe('/bin/sh')
    expect(findProgram({ word: './passwd', how: 'file', dir: 'etc' }, '/', '')).toBeUndefined()
  })
})
