import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

/** One instruction of a Dockerfile, continuation lines joined. */
export interface Instruction {
  op: string;
  args: string;
}

/** Parses a Dockerfile into instructions (comments dropped, `\` continuations joined). */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = pending + line;
    pending = '';
    const m = /^(\w+)\s+(.*)$/.exec(full);
    if (m) out.push({ op: m[1]!.toUpperCase(), args: m[2]! });
  }
  return out;
}

/** A stage of a multi-stage build, built into a scratch root. */
export interface BuiltStage {
  name: string | null;
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string | null;
  entrypoint: string[];
  cmd: string[];
  /** Every command RUN, as written. */
  ran: string[];
}

/**
 * Builds a Dockerfile without a Docker engine: each stage's filesystem is a scratch folder
 * (the base image's files are not there — the host's Node and npm stand in for them), and
 * FROM, ARG, WORKDIR, COPY [--from], RUN, ENV, USER, ENTRYPOINT and CMD do what Docker does
 * with them, with the same commands. A COPY from the context must be let through by
 * .dockerignore (an allowlist: `*` then `!name` lines).
 */
export function buildDockerfile(context: string, scratch: string, runEnv: Record<string, string> = {}): BuiltStage[] {
  const instructions = parseDockerfile(readFileSync(join(context, 'Dockerfile'), 'utf8'));
  const ignore = readFileSync(join(context, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (ignore[0] !== '*') throw new Error('.dockerignore is expected to start with "*" (an allowlist)');
  const allowed = new Set(ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, '')));
  const args: Record<string, string> = {};
  const stages: BuiltStage[] = [];
  let stage: BuiltStage | null = null;
  const subst = (s: string) => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args[a ?? b] ?? stage?.env[a ?? b] ?? '');
  const inRoot = (st: BuiltStage, p: string) => join(st.root, p.startsWith('/') ? p : join(st.workdir, p));
  const jsonOrShell = (s: string) => (s.trim().startsWith('[') ? (JSON.parse(s) as string[]) : ['/bin/sh', '-c', s]);

  for (const { op, args: rawArgs } of instructions) {
    const a = subst(rawArgs);
    if (op === 'ARG') {
      const [k, v] = a.split('=');
      if (!(k! in args)) args[k!] = v ?? '';
      continue;
    }
    if (op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(a)!;
      const root = join(scratch, `stage-${stages.length}`);
      mkdirSync(root, { recursive: true });
      stage = { name: m[2] ?? null, root, workdir: '/', env: {}, user: null, entrypoint: [], cmd: [], ran: [] };
      stages.push(stage);
      continue;
    }
    if (!stage) throw new Error(`${op} before FROM`);
    switch (op) {
      case 'WORKDIR':
        stage.workdir = a.startsWith('/') ? a : join(stage.workdir, a);
        mkdirSync(join(stage.root, stage.workdir), { recursive: true });
        break;
      case 'ENV':
        for (const m of a.matchAll(/(\w+)=("[^"]*"|\S+)/g)) stage.env[m[1]!] = m[2]!.replace(/^"|"$/g, '');
        break;
      case 'USER':
        stage.user = a;
        break;
      case 'ENTRYPOINT':
        stage.entrypoint = jsonOrShell(a);
        break;
      case 'CMD':
        stage.cmd = jsonOrShell(a);
        break;
      case 'EXPOSE':
        break;
      case 'COPY': {
        const parts = a.split(/\s+/);
        const from = parts[0]!.startsWith('--from=') ? parts.shift()!.slice('--from='.length) : null;
        const dest = parts.pop()!;
        const src = from === null ? null : stages.find((s) => s.name === from);
        if (from !== null && !src) throw new Error(`COPY --from=${from}: no such stage`);
        for (const p of parts) {
          if (src === null && !allowed.has(p.split('/')[0]!)) throw new Error(`COPY ${p}: excluded by .dockerignore`);
          const source = src ? inRoot(src, p) : join(context, p);
          const target =
            dest.endsWith('/') || parts.length > 1 ? join(inRoot(stage, dest), basename(p)) : inRoot(stage, dest);
          mkdirSync(statSync(source).isDirectory() ? target : join(target, '..'), { recursive: true });
          cpSync(source, target, { recursive: true, verbatimSymlinks: true });
        }
        break;
      }
      case 'RUN': {
        stage.ran.push(a);
        execFileSync('/bin/sh', ['-c', a], {
          cwd: join(stage.root, stage.workdir),
          env: { ...process.env, ...stage.env, ...runEnv },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        break;
      }
      default:
        throw new Error(`unsupported Dockerfile instruction ${op}`);
    }
  }
  return stages;
}

/** The path of the stage's WORKDIR on this machine. */
export function workdirOf(st: BuiltStage): string {
  const p = join(st.root, st.workdir);
  if (!existsSync(p)) throw new Error(`${p} does not exist`);
  return p;
}
