import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/registry.js';

describe('command line', () => {
  it('lists every subcommand of contract section 3 and the issues', () => {
    expect(COMMANDS.map((c) => c.name)).toEqual(['stack', 'demo', 'migrate', 'worker', 'api', 'run', 'produce', 'schemas', 'token']);
  });
});

describe('command dispatch', () => {
  it('refuses an unknown command with one line and exit code 2', async () => {
    const { main } = await import('../../src/cli/registry.js');
    const errs: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (errs.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      expect(await main(['stack-up'], () => undefined)).toBe(2);
    } finally {
      process.stderr.write = orig;
    }
    expect(errs).toEqual(['rollups: unknown command "stack-up"; run `rollups --help` for the list\n']);
  });

  it('prints help listing every command', async () => {
    const { main } = await import('../../src/cli/registry.js');
    const lines: string[] = [];
    expect(await main(['--help'], (l) => lines.push(l))).toBe(0);
    for (const c of COMMANDS) expect(lines.some((l) => l.trimStart().startsWith(`rollups ${c.name}`))).toBe(true);
  });
});
