import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nboServe } from '../../bench/lib/processes.js';
import { NODE_FLAGS } from '../../src/cli/node-flags.js';

describe('NBO runs with the same Node flags wherever it is started as a service', () => {
  it('the image entrypoint, npm start, the nbo command and the benches carry every flag', () => {
    const entrypoint = /^ENTRYPOINT (.*)$/m.exec(readFileSync('Dockerfile', 'utf8'))![1]!;
    const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start;
    const shebang = readFileSync('src/cli/bin.ts', 'utf8').split('\n')[0]!;
    expect(shebang.startsWith('#!/usr/bin/env -S node ')).toBe(true);
    for (const flag of NODE_FLAGS) {
      expect(JSON.parse(entrypoint) as string[]).toContain(flag);
      expect(start.split(' ')).toContain(flag);
      expect(shebang.split(' ')).toContain(flag);
      expect(nboServe()).toContain(flag);
    }
  });

  it("the installed command's shebang hands Node its flags (run as the kernel runs it)", () => {
    const shebang = readFileSync('src/cli/bin.ts', 'utf8').split('\n')[0]!;
    const dir = mkdtempSync(join(tmpdir(), 'nbo-shebang-'));
    const script = join(dir, 'nbo');
    writeFileSync(script, `${shebang}\nconsole.log(JSON.stringify(process.execArgv));\n`);
    chmodSync(script, 0o755);
    // env -S finds node on PATH, as it does for an installed package
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` };
    const execArgv = JSON.parse(execFileSync(script, { encoding: 'utf8', env })) as string[];
    expect(execArgv).toEqual([...NODE_FLAGS]);
  });
});
