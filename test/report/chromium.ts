/** Debian's chromium, headless, with a fresh profile each time and nothing reaching the network. */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

export const CHROMIUM = '/usr/bin/chromium'
export const haveChromium = existsSync(CHROMIUM)

const run = promisify(execFile)

async function chromium(page: string, args: string[]): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'dd-test-chromium-'))
  try {
    const { stdout } = await run(CHROMIUM, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, ...args, pathToFileURL(page).href,
    ], { timeout: 90_000, maxBuffer: 32 * 1024 * 1024 })
    return stdout
  } finally {
    rmSync(profile, { recursive: true, force: true })
  }
}

export async function screenshot(page: string, png: string, size = '1280,2000'): Promise<void> {
  await chromium(page, [`--screenshot=${png}`, `--window-size=${size}`, '--hide-scrollbars'])
}

/** The DOM after parsing and layout, serialised: what the browser made of the file. */
export function dumpDom(page: string): Promise<string> {
  return chromium(page, ['--dump-dom'])
}
