import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { dirname, join } from 'node:path'
import { DrydockError } from '../../errors.ts'
import { canExecute, canWrite, chownTree, type ServiceUser } from '../../util/service-user.ts'

export interface ServerFolders {
  /** Holds the data directory, the pid file and server.log. */
  readonly base: string
  readonly dataDir: string
  /** The server's own temporary files (never the shared /tmp). */
  readonly tmpDir: string
  readonly socket: string
  /** A private folder in the system temp for the socket, when `base` is too long for one. */
  readonly socketDir?: string
}

// sun_path holds 108 bytes on Linux, 104 on macOS.
const MAX_SOCKET_PATH = 100

/**
 * The server's folders: inside the run directory when the service user can reach it; as
 * root with a run directory under a private home, a private folder in the system temp.
 */
export async function serverFolders(dir: string, user: ServiceUser | undefined, server: string): Promise<ServerFolders> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  let base = dir
  if (user) {
    if (!canExecute(user, server)) {
      throw new DrydockError('DD_STAGING_BINARIES_MISSING', `user "${user.name}" cannot run ${server}`, {
        stage: 'staging', hint: 'install the host\'s MySQL/MariaDB server package',
      })
    }
    // The run directory stays unreadable to others; 0711 only lets the server user pass through.
    await chmod(dirname(dir), 0o711)
    await chmod(dir, 0o711)
    chownTree(dir, user)
    if (!canWrite(user, dir)) {
      base = await mkdtemp(join(tmpdir(), 'drydock-staging-'))
      chownTree(base, user)
      await writeFile(join(dir, 'LOCATION'), `${base}\n(the server user "${user.name}" cannot reach this folder; ${userInfo().username} runs drydock)\n`, { mode: 0o600 })
    }
  }
  const { socket, socketDir } = await socketPath(base, user)
  const tmpDir = join(base, 'tmp')
  await mkdir(tmpDir, { mode: 0o700 })
  if (user) chownTree(tmpDir, user)
  return { base, dataDir: join(base, 'data'), tmpDir, socket, ...(socketDir ? { socketDir } : {}) }
}

/** The folders an earlier attempt of this run set up in `base` (resume); a new socket path if needed. */
export async function reuseFolders(base: string, user: ServiceUser | undefined): Promise<ServerFolders> {
  const { socket, socketDir } = await socketPath(base, user)
  return { base, dataDir: join(base, 'data'), tmpDir: join(base, 'tmp'), socket, ...(socketDir ? { socketDir } : {}) }
}

export async function removeFolders(f: ServerFolders): Promise<void> {
  await rm(f.base, { recursive: true, force: true })
  if (f.socketDir) await rm(f.socketDir, { recursive: true, force: true })
}

export async function tailOf(file: string): Promise<string> {
  return (await readFile(file, 'utf8').catch(() => '')).slice(-4000)
}

/** The server's socket in `base`, or in a new short folder when that path would be too long for a socket. */
async function socketPath(base: string, user: ServiceUser | undefined): Promise<{ socket: string; socketDir?: string }> {
  const socket = join(base, 'mysqld.sock')
  if (Buffer.byteLength(socket) <= MAX_SOCKET_PATH) return { socket }
  const socketDir = await mkdtemp(join(tmpdir(), 'dd-sock-'))
  if (user) chownTree(socketDir, user)
  return { socket: join(socketDir, 'mysqld.sock'), socketDir }
}
