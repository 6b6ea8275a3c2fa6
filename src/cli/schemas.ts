/**
 * `rollups schemas register|check [--file path.avsc] [--topic T]`: the value schema of every topic of
 * `KAFKA_TOPICS` (or of `--topic`), under the subject `<topic>-value`, kept BACKWARD compatible.
 *
 * register, one stdout line per subject:
 *   `<subject>: id <id>, version <v>, compatibility BACKWARD` (+ ` (already registered)`)
 * a refusal goes to stderr as `rollups schemas: the registry refused registering the schema under subject
 *   "<subject>": <the registry's message> (HTTP <status>)`; exit 1 if any.
 *
 * check, per subject on stdout:
 *   `<subject>: compatible with version <v> (id <id>)`
 *   `<subject>: incompatible with version <v> (id <id>)`, then `  registry: <message>` for each of the
 *       registry's reasons (or `  registry: no reason given`) and `  avsc: <reason>` for avsc's own
 *   `<subject>: compatible (no version registered yet)`
 * exit 1 when any subject is incompatible.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { eventSchemaText } from '../contract/avro.js';
import { CONFIG_VARIABLES } from '../config/schema.js';
import { RollupsError, SchemaRegistryError, errorMessage } from '../errors.js';
import { RegistryClient } from '../producer/registry.js';
import { checkSchema, registerSchema, subjectFor } from '../producer/schemas.js';
import type { Command } from './commands.js';

const USAGE = 'rollups schemas register|check [--file path.avsc] [--topic T]';

function err(line: string): void {
  process.stderr.write(`${line}\n`);
}

interface SchemasArgs {
  sub: 'register' | 'check';
  file: string | undefined;
  topic: string | undefined;
}

function parse(args: string[]): SchemasArgs | string {
  const [sub, ...rest] = args;
  if (sub !== 'register' && sub !== 'check') return sub === undefined ? 'say register or check' : `unknown subcommand "${sub}"`;
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { file: { type: 'string' }, topic: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    return errorMessage(e);
  }
  if (values.topic !== undefined) {
    const parsed = CONFIG_VARIABLES.KAFKA_TOPICS[0].safeParse(values.topic);
    if (!parsed.success || parsed.data.length !== 1) return `--topic "${values.topic}" is not a valid Kafka topic name`;
  }
  return { sub, file: values.file, topic: values.topic };
}

async function schemaText(file: string | undefined): Promise<{ text: string; origin: string }> {
  if (file === undefined) return { text: eventSchemaText(), origin: 'avro/analytics-event.avsc' };
  try {
    return { text: await readFile(file, 'utf8'), origin: file };
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : errorMessage(e);
    throw new RollupsError(`cannot read ${file}: ${why}`, { code: 'INPUT_UNREADABLE' });
  }
}

export const schemasCommand: Command = {
  name: 'schemas',
  summary: 'register the Avro schemas (BACKWARD) or check compatibility',
  usage: USAGE,
  async run({ config, args, out }) {
    const parsed = parse(args);
    if (typeof parsed === 'string') {
      err(`rollups schemas: ${parsed}`);
      err(`usage: ${USAGE}`);
      return 2;
    }
    const cfg = config();
    const topics = parsed.topic === undefined ? cfg.KAFKA_TOPICS : [parsed.topic];
    const { text, origin } = await schemaText(parsed.file);
    const client = new RegistryClient(cfg.SCHEMA_REGISTRY_URL);
    let failed = false;

    for (const topic of topics) {
      const subject = subjectFor(topic);
      if (parsed.sub === 'register') {
        try {
          const r = await registerSchema(client, subject, text, origin);
          out(`${r.subject}: id ${r.id}, version ${r.version}, compatibility ${r.compatibility}${r.alreadyRegistered ? ' (already registered)' : ''}`);
        } catch (e) {
          // A refusal is about this subject; the others are still worth registering. A registry that does
          // not answer stops the command.
          if (!(e instanceof SchemaRegistryError)) throw e;
          err(`rollups schemas: ${e.message}`);
          failed = true;
        }
        continue;
      }
      const r = await checkSchema(client, subject, text, origin);
      if (r.status === 'unregistered') {
        out(`${subject}: compatible (no version registered yet)`);
        continue;
      }
      out(`${subject}: ${r.status} with version ${r.latest.version} (id ${r.latest.id})`);
      if (r.status === 'incompatible') {
        failed = true;
        if (r.messages.length === 0) out('  registry: no reason given');
        for (const m of r.messages) out(`  registry: ${m}`);
        for (const m of r.localReasons) out(`  avsc: ${m}`);
      }
    }
    return failed ? 1 : 0;
  },
};
