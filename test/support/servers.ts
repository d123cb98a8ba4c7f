import { execFileSync, execSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Whether a command is on the PATH. */
export function has(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure the servers the tests talk to are installed: installs them with apt-get
 * when running as root, else stops with the exact command to run.
 */
export function ensureInstalled(): void {
  const missing = ['redis-server', 'redis-cli', 'kcat'].filter((b) => !has(b));
  if (missing.length === 0) return;
  const cmd = 'apt-get update && apt-get install -y redis-server kcat';
  if (process.getuid?.() !== 0) throw new Error(`tests need ${missing.join(', ')}: run\n  sudo sh -c '${cmd}'`);
  process.stderr.write(`[test setup] installing ${missing.join(', ')}: ${cmd}\n`);
  execSync(cmd, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

export interface RedisServer {
  port: number;
  url: string;
  stop(): Promise<void>;
  /** Starts it again on the same port (after stop). */
  start(): Promise<void>;
}

/** Starts a redis-server on a free loopback port, without persistence. */
export async function startRedis(extra: string[] = [], port?: number): Promise<RedisServer> {
  const p = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), `nbo-redis-${p}-`));
  let proc: ChildProcess | null = null;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      // the Redis settings docs/state.md recommends (compact hashes), no persistence
      const args = [
        '--port',
        String(p),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--protected-mode',
        'no',
        '--hash-max-listpack-value',
        '512',
        ...extra,
      ];
      const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      proc = child;
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server :${p} did not start:\n${out}`)), 10_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (!out.includes('Ready to accept connections'))
          reject(new Error(`redis-server :${p} exited (${code}):\n${out}`));
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      const child = proc;
      if (!child || child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  await start();
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    start,
    async stop() {
      await stop();
    },
    ...{ cleanup: () => rmSync(dir, { recursive: true, force: true }) },
  };
}

/** Whether a TCP port on loopback can be bound now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * Starts a cluster-enabled redis-server: its cluster bus listens on port + 10000, which a
 * free port does not promise, so a port whose bus port is taken is skipped (and a start
 * that still loses the race is retried on another port).
 */
export async function startClusterNode(extra: string[] = []): Promise<RedisServer> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    if (port + 10_000 > 65_535 || !(await portFree(port + 10_000))) continue;
    try {
      return await startRedis(
        ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000', ...extra],
        port,
      );
    } catch (err) {
      if (attempt >= 5) throw err;
    }
  }
}

export interface RedisCluster {
  nodes: string[];
  stop(): Promise<void>;
}

/** Starts a Redis Cluster of `n` masters on free loopback ports. */
export async function startRedisCluster(n = 3): Promise<RedisCluster> {
  const servers: RedisServer[] = [];
  for (let i = 0; i < n; i++) {
    servers.push(await startClusterNode());
  }
  const nodes = servers.map((s) => `127.0.0.1:${s.port}`);
  execFileSync('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], {
    stdio: 'pipe',
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ok = servers.every((s) =>
      execFileSync('redis-cli', ['-p', String(s.port), 'cluster', 'info'])
        .toString()
        .includes('cluster_state:ok'),
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error('redis cluster did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { nodes, stop: async () => void (await Promise.all(servers.map((s) => s.stop()))) };
}

export interface KafkaMock {
  brokers: string[];
  /** The kcat process that holds the mock cluster (for SIGSTOP/SIGCONT stall tests). */
  pid: number;
  /** How the kcat process ended (its exit code or signal), or null while it runs. */
  exited(): string | null;
  stop(): Promise<void>;
}

/**
 * Starts librdkafka's mock Kafka cluster through kcat on a free loopback port (it prints
 * `bootstrap.servers=…` on stderr). Topics auto-create on produce; see docs/kafka.md for its quirks.
 */
export function startKafkaMock(): Promise<KafkaMock> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'kcat',
      ['-b', '127.0.0.1:1', '-X', 'test.mock.num.brokers=1', '-d', 'mock', '-C', '-t', 'keepalive'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`kcat mock cluster did not start:\n${err.slice(0, 2000)}`)),
      15_000,
    );
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /bootstrap\.servers=(\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        child.stderr!.removeAllListeners('data');
        child.stderr!.resume(); // keep draining its debug output
        resolve({
          brokers: m[1]!.split(','),
          pid: child.pid!,
          exited: () =>
            child.exitCode !== null
              ? `exit code ${child.exitCode}`
              : child.signalCode !== null
                ? `signal ${child.signalCode}`
                : null,
          stop: () =>
            new Promise<void>((r) => {
              if (child.exitCode !== null) return r();
              child.once('exit', () => r());
              child.kill('SIGKILL');
            }),
        });
      }
    });
    child.on('error', reject);
  });
}
