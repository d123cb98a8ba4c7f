import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The package as users get it: `npm pack` (which builds it through `prepare`), installed
 * globally into a scratch prefix, and the `nbo` it links run by name — not `main()` called
 * from a test, which cannot see a bin that does nothing.
 */
const ROOT = new URL('../..', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'nbo-installed-'));
const prefix = join(tmp, 'prefix');
const nbo = join(prefix, 'bin', 'nbo');
const npmEnv = {
  ...process.env,
  npm_config_prefer_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

function run(args: string[], cwd = ROOT) {
  const r = spawnSync(nbo, args, { cwd, encoding: 'utf8', env: { ...process.env, NBO_RULES_DIR: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  // pack from a copy, so building it (prepare) never touches this checkout's dist/
  const pkg = join(tmp, 'pkg');
  for (const p of [
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'README.md',
    'src',
    'rules',
    'docs',
  ])
    cpSync(join(ROOT, p), join(pkg, p), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], {
      cwd: pkg,
      env: npmEnv,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const tarball = join(tmp, packed[0].filename);
  execFileSync('npm', ['install', '--global', '--prefix', prefix, tarball], {
    cwd: tmp,
    env: npmEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}, 240_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the installed nbo command', () => {
  it('prints its usage on --help and exits 0', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('usage:');
    expect(r.out).toContain('nbo rules check [dir]');
  });

  it('rules check: exit 0 on a valid set, exit 1 listing every error on a broken one', () => {
    const ok = run(['rules', 'check', 'rules']);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/rules: ok — \d+ offers .* version [0-9a-f]{12}/);
    const broken = join(tmp, 'broken');
    cpSync(join(ROOT, 'rules'), broken, { recursive: true });
    writeFileSync(
      join(broken, 'offers', 'zz-bad.yaml'),
      'id: zz-bad\nname: Bad\nchannels: [pos]\nvalue: 1\neligibility: { "≥": [1, 2] }\n',
    );
    const bad = run(['rules', 'check', broken]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('offers/zz-bad.yaml [zz-bad] $.eligibility["≥"]: unknown operator "≥"');
    expect(bad.err).toContain('1 error; the rule set is refused');
  });

  it('keys new prints a secret and the keys-file entry holding its hash', () => {
    const r = run(['keys', 'new', '--id', 'pos-gw', '--scopes', 'decide,stream', '--channels', 'pos']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/- id: pos-gw/);
    expect(r.out).toMatch(/sha256: [0-9a-f]{64}/);
    expect(run(['keys', 'new', '--id', 'x', '--scopes', 'nope']).code).toBe(2);
  });

  it('runs every `npx nbo …` and `nbo …` command the docs show, as written, from the checkout', () => {
    const commands: string[] = [];
    for (const f of ['README.md', 'k8s/README.md', ...readdirMd('docs')]) {
      const lines = readFileSync(join(ROOT, f), 'utf8').split('\n');
      let block: string | null = null;
      for (let i = 0; i < lines.length; i++) {
        const fence = /^```(\w*)/.exec(lines[i]!);
        if (fence) block = block === null ? fence[1]! : null;
        const shell = block !== null && ['', 'sh', 'bash', 'shell'].includes(block);
        // `npx nbo …` in a checkout, and the installed `nbo …` (all but serve, which runs until stopped),
        // in shell (or plain) blocks or after a `$ ` prompt; not in `text` blocks (usage synopses)
        const m = /^(\$ )?(?:npx )?nbo ((?!serve\b).*)$/.exec(lines[i]!);
        if (!m || (!shell && !m[1])) continue;
        let cmd = m[2]!;
        while (cmd.endsWith('\\')) cmd = `${cmd.slice(0, -1)} ${lines[++i]!.trim()}`;
        commands.push(cmd.replace(/\s+#.*$/, ''));
      }
    }
    expect(commands.length).toBeGreaterThanOrEqual(9);
    // the files the examples name, in a scratch folder beside a copy of the checkout's: the
    // author's working copy (my-rules/, one offer's value changed), the live set, recordings
    const work = join(tmp, 'docs-commands');
    for (const p of ['rules', 'docs']) cpSync(join(ROOT, p), join(work, p), { recursive: true });
    cpSync(join(ROOT, 'rules'), join(work, 'live-rules'), { recursive: true });
    cpSync(join(ROOT, 'rules'), join(work, 'my-rules'), { recursive: true });
    const pastry = join(work, 'my-rules', 'offers', 'pastry-with-coffee.yaml');
    writeFileSync(pastry, readFileSync(pastry, 'utf8').replace(/^value: .*$/m, 'value: 3'));
    const t = Date.parse('2026-11-20T10:00:00Z');
    const events = Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({
        id: `e${i}`,
        type: 'checkout',
        customerId: `c${i % 5}`,
        channel: 'pos',
        time: new Date(t + i * 60_000).toISOString(),
        data: {
          storeId: 's-leeds-1',
          basket: { total: 7.4, items: [{ sku: '1001', category: 'coffee', price: 3.2, qty: 1 }] },
        },
      }),
    );
    for (const f of ['events.ndjson', 'week.ndjson', 'last-week.ndjson'])
      writeFileSync(join(work, f), `${events.join('\n')}\n`);
    let ran = 0;
    for (const c of commands) {
      // talking to a running NBO (--url) is tested end to end in test/cli/publish-cli.test.ts
      if (/--url\b/.test(c)) continue;
      const r = spawnSync('sh', ['-c', `"${nbo}" ${c}`], { cwd: work, encoding: 'utf8' });
      expect(r.status, `npx nbo ${c}\n${r.stderr}`).toBe(0);
      ran++;
    }
    expect(ran).toBeGreaterThanOrEqual(9);
  });
});

describe('nbo installed from git', () => {
  it('builds through prepare and links a working nbo into the project that installs it', () => {
    // a git repository of the package's sources (no dist/): npm clones it, installs its dev
    // dependencies, runs prepare, packs and installs the result
    const repo = join(tmp, 'git-repo');
    for (const p of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'README.md',
      'src',
      'rules',
      'docs',
    ])
      cpSync(join(ROOT, p), join(repo, p), { recursive: true });
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.email=ci@nbo.invalid', '-c', 'user.name=ci', ...args], {
        cwd: repo,
        stdio: 'ignore',
      });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'sources');
    const project = join(tmp, 'git-project');
    cpSync(join(ROOT, 'rules'), join(project, 'rules'), { recursive: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-nbo', version: '1.0.0', private: true }));
    execFileSync('npm', ['install', `git+file://${repo}`], {
      cwd: project,
      env: npmEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const r = spawnSync(join(project, 'node_modules', '.bin', 'nbo'), ['rules', 'check', 'rules'], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('rules: ok');
  }, 300_000);
});

function readdirMd(dir: string): string[] {
  return execFileSync('ls', [join(ROOT, dir)], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.endsWith('.md'))
    .map((f) => `${dir}/${f}`);
}
