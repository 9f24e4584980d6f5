import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DrydockError } from '../../errors.ts'
import { canExecute, chownTree, type ServiceUser, serviceUserFolder } from '../../util/service-user.ts'

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

/** The server's folders: inside the run directory, or, as root, a folder the service user owns (serviceUserFolder). */
export async function serverFolders(dir: string, user: ServiceUser | undefined, server: string): Promise<ServerFolders> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  let base = dir
  if (user) {
    if (!canExecute(user, server)) {
      throw new DrydockError('DD_STAGING_BINARIES_MISSING', `user "${user.name}" cannot run ${server}`, {
        stage: 'staging', hint: 'install the host\'s MySQL/MariaDB server package',
      })
    }
    base = await serviceUserFolder(dir, user)
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
