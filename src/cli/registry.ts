import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { RollupsError, errorMessage } from '../errors.js';
import { apiCommand } from './api.js';
import type { Command } from './commands.js';
import { produceCommand } from './produce.js';
import { schemasCommand } from './schemas.js';
import { demoCommand } from './demo.js';
import { stackCommand } from './stack.js';
import { tokenCommand } from './token.js';
import { migrateCommand, runCommand, workerCommand } from './worker.js';

/** Every subcommand of contract section 3 (and the issues), in the order a newcomer meets them. */
export const COMMANDS: Command[] = [
  stackCommand,
  demoCommand,
  migrateCommand,
  workerCommand,
  apiCommand,
  runCommand,
  produceCommand,
  schemasCommand,
  tokenCommand,
];

function help(out: (l: string) => void): void {
  out('rollups: analytics events from Kafka into exact ClickHouse rollups, served by a read API');
  out('');
  out('usage: rollups <command> [options]');
  out('');
  for (const c of COMMANDS) out(`  ${c.usage.padEnd(50)} ${c.summary}`);
  out('');
  out('Configuration is by environment variable; see docs/configuration.md. `rollups <command> --help` for one command.');
}

export async function main(argv: string[], out: (l: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    help(out);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`rollups: unknown command "${name}"; run \`rollups --help\` for the list\n`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    out(`usage: ${cmd.usage}`);
    out(cmd.summary);
    return 0;
  }
  let cached: Config | undefined;
  const config = () => (cached ??= loadConfig());
  try {
    config();
    return await cmd.run({ config, args, out });
  } catch (err) {
    // One clear line for the errors we raise on purpose; a stack trace only for true surprises.
    if (err instanceof RollupsError) process.stderr.write(`rollups ${cmd.name}: ${err.message}\n`);
    else process.stderr.write(`rollups ${cmd.name}: unexpected failure: ${errorMessage(err)}\n${err instanceof Error ? err.stack ?? '' : ''}\n`);
    return 1;
  }
}
