import type { Config } from '../config/schema.js';

export interface CommandContext {
  /** Loaded lazily: `--help` works even with a broken environment. */
  config: () => Config;
  args: string[];
  out: (line: string) => void;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run: (ctx: CommandContext) => Promise<number>;
}
