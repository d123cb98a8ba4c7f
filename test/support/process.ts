import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './servers.js';

export interface NboProcess {
  child: ChildProcess;
  url: string;
  port: number;
  exited: Promise<number | null>;
  output: () => string;
}

/**
 * Starts `nbo serve` as its own process (by default from source through tsx) on a free
 * port and waits until /healthz answers.
 */
export async function spawnNbo(
  env: Record<string, string>,
  opts: { command?: string[]; cwd?: string; startMs?: number } = {},
): Promise<NboProcess> {
  const port = await freePort();
  const [cmd, ...args] = opts.command ?? [process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'serve'];
  const child = spawn(cmd!, args, {
    cwd: opts.cwd,
    env: { ...process.env, NBO_PORT: String(port), NBO_LOG_LEVEL: 'warn', NBO_RULES_WATCH: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.startMs ?? 20_000);
  while (
    (await fetch(`${url}/healthz`).then(
      (r) => r.status,
      () => 0,
    )) !== 200
  ) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nbo did not start (exit ${child.exitCode}):\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url, port, exited, output: () => output };
}
