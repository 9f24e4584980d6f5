import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, isAbsolute, join, resolve } from 'node:path'

/** The programs of a `sh -c` command line that can be checked before the run. */
export interface CommandProgram {
  /** As written: `python3`, `./manage.py`, `bin/migrate`. */
  readonly word: string
  /** Looked up on PATH (no slash), or a path relative to the step's folder. */
  readonly how: 'path' | 'file'
  /** `file`: the folder it is relative to, after the line's `cd`s (relative to the step's folder). */
  readonly dir: string
}

/** Builtins of POSIX sh: nothing to find on disk. */
const BUILTINS = new Set([
  ':', '.', '[', 'alias', 'bg', 'break', 'cd', 'command', 'continue', 'echo', 'eval', 'exec', 'exit', 'export', 'false',
  'fg', 'getopts', 'hash', 'jobs', 'kill', 'local', 'printf', 'pwd', 'read', 'readonly', 'return', 'set', 'shift',
  'source', 'test', 'times', 'trap', 'true', 'type', 'ulimit', 'umask', 'unalias', 'unset', 'wait',
])
/** Words after which the rest is shell grammar this reader does not follow. */
const COMPOUND = new Set(['if', 'then', 'else', 'elif', 'fi', 'for', 'while', 'until', 'do', 'done', 'case', 'esac', '!', '{', '}', 'function', 'select', 'time'])
/** Builtins that change how later words are looked up (PATH, functions, aliases). */
const CHANGES_LOOKUP = new Set(['export', 'source', '.', 'alias', 'eval', 'set', 'hash', 'unset'])

/**
 * The programs a command line runs, as far as a plain reading of it goes: the first word of
 * each simple command (`a && b; c | d`), after `VAR=value` assignments and redirections.
 * Reading stops at anything it cannot follow (subshells, `$(…)`, backquotes, expansions in a
 * program's name, `if`/`for`, a builtin that changes lookup); `cd DIR` moves where relative
 * paths are looked for (`cd` anywhere else: they are no longer checked). What it cannot analyse is never reported, so a check built on it refuses only
 * programs that certainly are missing.
 */
export function commandPrograms(line: string): CommandProgram[] {
  const programs: CommandProgram[] = []
  // The folder relative paths start from, after `cd DIR`; undefined once it cannot be known.
  let dir: string | undefined = '.'
  for (const words of simpleCommands(line)) {
    if (words === null) break
    let i = 0
    let assigns = false
    while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!)) { assigns = true; i++ }
    while (i < words.length && /^\d*[<>]/.test(words[i]!)) i += /^\d*[<>]+&?\d*$/.test(words[i]!) && !/&\d+$/.test(words[i]!) ? 2 : 1
    const word = words[i]
    if (word === undefined) continue
    if (COMPOUND.has(word) || /[$`*?[\]~{}()\\'"]/.test(word)) break
    if (BUILTINS.has(word)) {
      if (CHANGES_LOOKUP.has(word)) break
      if (word === 'cd') {
        const to = words[i + 1]
        const plain = to !== undefined && words.length === i + 2 && !to.startsWith('-') && !/[$`*?[\]~{}()\\'"]/.test(to)
        dir = dir !== undefined && plain ? (isAbsolute(to) ? to : join(dir, to)) : undefined
      }
      continue
    }
    // `PATH=… prog` looks prog up elsewhere: not this reader's business.
    if (assigns && words.slice(0, i).some((w) => w.startsWith('PATH='))) continue
    if (word.includes('/')) {
      if (isAbsolute(word)) programs.push({ word, how: 'file', dir: '.' })
      else if (dir !== undefined) programs.push({ word, how: 'file', dir })
    } else {
      programs.push({ word, how: 'path', dir: '.' })
    }
  }
  return programs
}

/**
 * Splits a command line into simple commands (lists of words), quote-aware. `null` marks the
 * point from which the line is not analysed (subshell, command substitution, here-document).
 */
function simpleCommands(line: string): (string[] | null)[] {
  const out: (string[] | null)[] = []
  let words: string[] = []
  let word = ''
  let quote: "'" | '"' | undefined
  const endWord = () => { if (word !== '') words.push(word); word = '' }
  const endCommand = () => { endWord(); out.push(words); words = [] }
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote) {
      if (c === quote) quote = undefined
      word += c
      continue
    }
    if (c === "'" || c === '"') { quote = c; word += c; continue }
    if (c === '#' && word === '') break
    if (c === '(' || c === ')' || c === '`' || (c === '$' && line[i + 1] === '(') || (c === '<' && line[i + 1] === '<')) {
      endCommand()
      out.push(null)
      return out
    }
    if (c === ';' || c === '\n' || c === '|' || c === '&') {
      // `2>&1` keeps its `&`; `&&`, `||`, `&`, `|`, `;` end a command.
      if (c === '&' && /[<>]$/.test(word)) { word += c; continue }
      endCommand()
      if ((c === '&' || c === '|') && line[i + 1] === c) i++
      continue
    }
    if (c === ' ' || c === '\t') { endWord(); continue }
    word += c
  }
  if (quote) { out.push(null); return out }
  endCommand()
  return out.filter((w) => w === null || w.length > 0)
}

/** Where a program would be found: its path, or undefined when sh would say "not found". */
export function findProgram(program: CommandProgram, cwd: string, pathVar: string | undefined): string | undefined {
  if (program.how === 'file') {
    const file = resolve(cwd, program.dir, program.word)
    return isExecutableFile(file) ? file : undefined
  }
  for (const dir of (pathVar ?? '').split(delimiter)) {
    const file = join(resolve(cwd, dir || '.'), program.word)
    if (isExecutableFile(file)) return file
  }
  return undefined
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}
