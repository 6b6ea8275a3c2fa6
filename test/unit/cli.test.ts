import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/registry.js';

describe('command line', () => {
  it('lists every subcommand of contract section 3 and the issues', () => {
    expect(COMMANDS.map((c) => c.name)).toEqual(['stack', 'demo', 'migrate', 'worker', 'api', 'run', 'produce', 'schemas', 'token']);
  });
});

describe('command dispatch', () => {
  it('says plainly that a planned command is not built yet, with exit code 2', async () => {
    const { main } = await import('../../src/cli/registry.js');
    const errs: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (errs.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      const planned = COMMANDS.filter((c) => c.planned);
      for (const c of planned) expect(await main([c.name], () => undefined)).toBe(2);
      expect(errs.every((e) => /^rollups \w+: not built yet \(it arrives with .+\)\n$/.test(e))).toBe(true);
      expect(errs).toHaveLength(planned.length);
    } finally {
      process.stderr.write = orig;
    }
  });

  it('prints help listing every command', async () => {
    const { main } = await import('../../src/cli/registry.js');
    const lines: string[] = [];
    expect(await main(['--help'], (l) => lines.push(l))).toBe(0);
    for (const c of COMMANDS) expect(lines.some((l) => l.trimStart().startsWith(`rollups ${c.name}`))).toBe(true);
  });
});
