import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avsc, { type Schema } from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventSchemaText, getEventType, loadEventSchema } from '../../src/contract/avro.js';
import { freePort, runCli } from '../support/cli.js';
import { createTopic, services, uniqueName } from '../support/services.js';

/**
 * `rollups schemas register | check` against the real registry, each test on its own topic and subject:
 * what the registry stores and answers, not what we hope it does.
 */

type Field = { name: string; type: unknown; default?: unknown };

/** The repository schema with a change applied to its fields. */
function variant(change: (fields: Field[]) => void): string {
  const schema = loadEventSchema() as unknown as { fields: Field[] };
  change(schema.fields);
  return JSON.stringify(schema, null, 2);
}

async function registryGet(path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${services().registryUrl}${path}`, { headers: { Accept: 'application/vnd.schemaregistry.v1+json' } });
  return { status: res.status, body: await res.json() };
}

describe('rollups schemas', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rollups-schemas-'));
  const topic = uniqueName('schemas');
  const subject = `${topic}-value`;
  const env = () => ({ KAFKA_BROKERS: services().brokers.join(','), SCHEMA_REGISTRY_URL: services().registryUrl, KAFKA_TOPICS: topic });

  const v2 = join(dir, 'v2.avsc');
  const requiredField = join(dir, 'required-field.avsc');
  const orgIdInt = join(dir, 'org-id-int.avsc');

  beforeAll(async () => {
    await createTopic(topic);
    writeFileSync(v2, variant((f) => f.push({ name: 'locale', type: ['null', 'string'], default: null })));
    writeFileSync(requiredField, variant((f) => f.push({ name: 'region', type: 'string' })));
    writeFileSync(
      orgIdInt,
      variant((f) => {
        const org = f.find((x) => x.name === 'org_id');
        if (org) org.type = 'int';
      }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  let id1 = 0;
  let id2 = 0;

  it('check before anything is registered says so, and passes', async () => {
    const r = await runCli(['schemas', 'check'], env());
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${subject}: compatible (no version registered yet)\n`);
    expect(r.code).toBe(0);
  });

  it('register sets BACKWARD and registers the repository schema; the id resolves to it', async () => {
    const r = await runCli(['schemas', 'register'], env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = /^(.+): id (\d+), version (\d+), compatibility BACKWARD\n$/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(subject);
    expect(m![3]).toBe('1');
    id1 = Number(m![2]);
    expect(id1).toBeGreaterThan(0);

    expect(await registryGet(`/config/${subject}`)).toEqual({ status: 200, body: { compatibilityLevel: 'BACKWARD' } });

    const byId = await registryGet(`/schemas/ids/${id1}`);
    expect(byId.status).toBe(200);
    const text = (byId.body as { schema: string }).schema;
    expect(avsc.Type.forSchema(JSON.parse(text) as Schema).equals(getEventType())).toBe(true);

    const latest = await registryGet(`/subjects/${subject}/versions/latest`);
    expect(latest.body).toMatchObject({ subject, version: 1, id: id1 });
  });

  it('register again is idempotent: same id, same version', async () => {
    const r = await runCli(['schemas', 'register'], env());
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${subject}: id ${id1}, version 1, compatibility BACKWARD (already registered)\n`);
    expect((await registryGet(`/subjects/${subject}/versions`)).body).toEqual([1]);
  });

  it('a v2 that adds an optional field (default null) is compatible and registers as version 2', async () => {
    const check = await runCli(['schemas', 'check', '--file', v2], env());
    expect(check.stderr).toBe('');
    expect(check.stdout).toBe(`${subject}: compatible with version 1 (id ${id1})\n`);
    expect(check.code).toBe(0);

    const reg = await runCli(['schemas', 'register', '--file', v2], env());
    expect(reg.stderr).toBe('');
    expect(reg.code).toBe(0);
    const m = /^.+: id (\d+), version 2, compatibility BACKWARD\n$/.exec(reg.stdout);
    expect(m).not.toBeNull();
    id2 = Number(m![1]);
    expect(id2).not.toBe(id1);
    const byId = await registryGet(`/schemas/ids/${id2}`);
    const fields = (JSON.parse((byId.body as { schema: string }).schema) as { fields: Field[] }).fields;
    expect(fields.at(-1)).toEqual({ name: 'locale', type: ['null', 'string'], default: null });
    // The first id still resolves to the first version: old records stay readable.
    expect((await registryGet(`/schemas/ids/${id1}`)).status).toBe(200);
  });

  it('the repository schema (v1) still checks compatible with v2 as latest', async () => {
    const r = await runCli(['schemas', 'check'], env());
    expect(r.stdout).toBe(`${subject}: compatible with version 2 (id ${id2})\n`);
    expect(r.code).toBe(0);
  });

  it('a new required field is reported incompatible by check and refused by the registry on register', async () => {
    const check = await runCli(['schemas', 'check', '--file', requiredField], env());
    expect(check.code).toBe(1);
    expect(check.stderr).toBe('');
    const lines = check.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`${subject}: incompatible with version 2 (id ${id2})`);
    expect(lines.slice(1, -1).every((l) => l.startsWith('  registry: '))).toBe(true);
    expect(lines.at(-1)).toBe('  avsc: no matching field for default-less ai.support.analytics.AnalyticsEvent.region');

    const reg = await runCli(['schemas', 'register', '--file', requiredField], env());
    expect(reg.code).toBe(1);
    expect(reg.stdout).toBe('');
    expect(reg.stderr).toMatch(
      new RegExp(`^rollups schemas: the registry refused registering the schema under subject "${subject}": .+ \\(HTTP 409\\)\\n$`),
    );
    expect((await registryGet(`/subjects/${subject}/versions`)).body).toEqual([1, 2]);
  });

  it('changing org_id to int is reported incompatible and refused', async () => {
    const check = await runCli(['schemas', 'check', '--file', orgIdInt], env());
    expect(check.code).toBe(1);
    expect(check.stdout.split('\n')[0]).toBe(`${subject}: incompatible with version 2 (id ${id2})`);
    expect(check.stdout).toContain('  avsc: cannot read "string" as "int"\n');

    const reg = await runCli(['schemas', 'register', '--file', orgIdInt], env());
    expect(reg.code).toBe(1);
    expect(reg.stderr).toContain('(HTTP 409)');
    expect((await registryGet(`/subjects/${subject}/versions`)).body).toEqual([1, 2]);
  });

  it('registers one subject per KAFKA_TOPICS entry, and --topic narrows to one', async () => {
    const a = uniqueName('schemas_a');
    const b = uniqueName('schemas_b');
    const both = await runCli(['schemas', 'register'], { ...env(), KAFKA_TOPICS: `${a},${b}` });
    expect(both.code).toBe(0);
    expect(both.stdout).toMatch(new RegExp(`^${a}-value: id \\d+, version 1, compatibility BACKWARD\\n${b}-value: id \\d+, version 1, compatibility BACKWARD\\n$`));
    const c = uniqueName('schemas_c');
    const one = await runCli(['schemas', 'check', '--topic', c], env());
    expect(one.stdout).toBe(`${c}-value: compatible (no version registered yet)\n`);
  });

  it('a file that is not an Avro schema stops with one line and touches nothing', async () => {
    const broken = join(dir, 'broken.avsc');
    writeFileSync(broken, '{"type": "record", "name": "X", "fields": [{"name": "a", "type": "nope"}]}');
    const r = await runCli(['schemas', 'register', '--file', broken], env());
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^rollups schemas: ${broken.replace(/[.]/g, '\\.')} is not a valid Avro schema: .+\\n$`));
    expect((await registryGet(`/subjects/${subject}/versions`)).body).toEqual([1, 2]);
  });

  it('a registry that does not answer is one clear line and exit 1', async () => {
    const port = await freePort();
    const r = await runCli(['schemas', 'check'], { ...env(), SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}` });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`rollups schemas: schema registry at http://127.0.0.1:${port} did not answer: connect ECONNREFUSED 127.0.0.1:${port}\n`);
  });

  it('usage errors exit 2', async () => {
    const r = await runCli(['schemas', 'publish'], env());
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('rollups schemas: unknown subcommand "publish"\nusage: rollups schemas register|check [--file path.avsc] [--topic T]\n');
  });

  it('the schema text registered is the repository file, byte for byte', async () => {
    // The raw form of an id answers the text as registered (the JSON form answers a compacted copy).
    const res = await fetch(`${services().registryUrl}/schemas/ids/${id1}/schema`);
    expect(await res.text()).toBe(eventSchemaText());
  });
});
