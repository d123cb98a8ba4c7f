// Processes a scenario runs: servers pinned to a core, NBO as it runs in production
// (compiled by tsc), and the bench process's own placement.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { has } from '../../test/support/servers.js';

/** Pins a command to one core when taskset is there, so the load generator cannot starve the server. */
export const pinned = (core: number, cmd: string[]): string[] =>
  has('taskset') ? ['taskset', '-c', String(core), ...cmd] : cmd;

/**
 * Moves this process (every thread: the event loop, libuv's pool, V8's helpers) to `cores`
 * ("0", "1", "0,1") when taskset is there: for the phases where the bench process is the
 * server (the store driven directly) or the load generator.
 */
export function pinSelf(cores: string): void {
  if (has('taskset')) execFileSync('taskset', ['-apc', cores, String(process.pid)], { stdio: 'ignore' });
}

/** `nbo serve` from the build, as `npm start` runs it. */
export const nboServe = (): string[] => [process.execPath, 'dist/cli/main.js', 'serve'];

let built = false;
/** `npm run build` once per run: NBO is measured as it runs in production, not through tsx. */
export function buildNbo(): void {
  if (built) return;
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'ignore' });
  built = true;
}

/** Starts a server and waits until `readyUrl` answers 2xx (null: until it prints "ready"). */
export async function startChild(
  cmd: string[],
  env: Record<string, string>,
  readyUrl: string | null,
  timeoutMs = 30_000,
): Promise<ChildProcess> {
  const child = spawn(cmd[0]!, cmd.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${cmd.join(' ')} exited: ${out}`);
    if (
      readyUrl === null
        ? out.includes('ready')
        : await fetch(readyUrl).then(
            (r) => r.ok,
            () => false,
          )
    )
      return child;
    if (Date.now() > deadline) throw new Error(`${cmd.join(' ')} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM, and wait for the exit. */
export const stopChild = (c: ChildProcess): Promise<void> =>
  new Promise<void>((r) => {
    if (c.exitCode !== null) return r();
    c.once('exit', () => r());
    c.kill('SIGTERM');
  });
