import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StackError, errorMessage } from '../errors.js';
import { pickJava, type JavaRuntime } from './java.js';
import type { StackLayout } from './layout.js';
import { startDetached, type TrackedProcess } from './processes.js';

const run = promisify(execFile);

/**
 * Apicurio 3.1+ is compiled for Java 21. On a machine whose newest Java is 17 we fall back to the
 * last 3.0.x release, which runs on 17 and has the same Confluent-compatible API.
 */
export const REGISTRY_FALLBACK = { version: '3.0.9', java: 17 } as const;
const REGISTRY_JAVA_MIN = 21;

export interface RegistryPlan {
  version: string;
  java: JavaRuntime;
  note?: string;
}

export function planRegistry(l: StackLayout, javas: JavaRuntime[]): RegistryPlan {
  const modern = pickJava(javas, REGISTRY_JAVA_MIN);
  const wantsModern = !l.registryVersion.startsWith('2.') && !l.registryVersion.startsWith('3.0.');
  if (!wantsModern) {
    const j = pickJava(javas, 17);
    if (!j) throw new StackError('Apicurio Registry needs Java 17 or newer: install one (Debian: apt-get install -y openjdk-17-jre-headless)', 'JAVA_MISSING');
    return { version: l.registryVersion, java: j };
  }
  if (modern) return { version: l.registryVersion, java: modern };
  const j17 = pickJava(javas, REGISTRY_FALLBACK.java);
  if (!j17) throw new StackError('Apicurio Registry needs Java 17 or newer: install one (Debian: apt-get install -y openjdk-17-jre-headless)', 'JAVA_MISSING');
  return {
    version: REGISTRY_FALLBACK.version,
    java: j17,
    note: `Apicurio ${l.registryVersion} needs Java 21+, found Java ${j17.major}: using Apicurio ${REGISTRY_FALLBACK.version}`,
  };
}

export function registryProcess(l: StackLayout): TrackedProcess {
  return { name: 'registry', pidFile: join(l.pids, 'registry.pid'), marker: `-Drollups.stack=registry:${l.dir}` };
}

export function registryUrl(l: StackLayout): string {
  return `http://127.0.0.1:${l.registryPort}/apis/ccompat/v7`;
}

function unpackedDir(l: StackLayout, version: string): string {
  return join(l.dir, `apicurio-${version}`);
}

/** The runnable jar: `quarkus-run.jar` (3.1+ fast-jar layout) or `*-runner.jar` (3.0.x uber layout). */
function findJar(dir: string): string | undefined {
  for (const c of [join(dir, 'quarkus-run.jar'), join(dir, 'quarkus-app', 'quarkus-run.jar')]) if (existsSync(c)) return c;
  const runner = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('-runner.jar')) : undefined;
  return runner === undefined ? undefined : join(dir, runner);
}

export async function ensureRegistry(l: StackLayout, version: string, mvn: string): Promise<string> {
  const dir = unpackedDir(l, version);
  const have = findJar(dir);
  if (have) return have;
  mkdirSync(l.downloads, { recursive: true });
  mkdirSync(dir, { recursive: true });
  const archive = join(l.downloads, `apicurio-registry-app-${version}-all.tar.gz`);
  try {
    if (!existsSync(archive)) {
      await run(mvn, ['-B', '-q', 'dependency:copy', `-Dartifact=io.apicurio:apicurio-registry-app:${version}:tar.gz:all`,
        `-DoutputDirectory=${l.downloads}`], { maxBuffer: 64 * 1024 * 1024 });
    }
    await run('tar', ['xzf', archive, '-C', dir]);
  } catch (err) {
    throw new StackError(`could not fetch Apicurio Registry ${version} from Maven Central: ${errorMessage(err).split('\n')[0]}`, 'REGISTRY_DOWNLOAD_FAILED', err);
  }
  const jar = findJar(dir);
  if (!jar) throw new StackError(`the Apicurio ${version} archive has no runnable jar`, 'REGISTRY_DOWNLOAD_FAILED');
  return jar;
}

export function startRegistry(l: StackLayout, plan: RegistryPlan, jar: string): number {
  const p = registryProcess(l);
  const dataDir = join(l.dir, 'registry-data');
  mkdirSync(dataDir, { recursive: true });
  return startDetached(p, plan.java.bin, [p.marker, '-Xms128m', '-Xmx512m', '-jar', jar], {
    cwd: join(jar, '..'),
    logFile: join(l.logs, 'registry.log'),
    env: {
      QUARKUS_HTTP_HOST: '127.0.0.1',
      QUARKUS_HTTP_PORT: String(l.registryPort),
      // The management interface (health, metrics) would bind 0.0.0.0:9000, which a second stack or
      // any other service may hold; loopback and a free port chosen by the OS.
      QUARKUS_MANAGEMENT_HOST: '127.0.0.1',
      QUARKUS_MANAGEMENT_PORT: '0',
      // Schemas survive `stack down`/`up` like the topics do: ids in old records stay resolvable.
      APICURIO_STORAGE_KIND: 'sql',
      APICURIO_STORAGE_SQL_KIND: 'h2',
      APICURIO_DATASOURCE_URL: `jdbc:h2:file:${join(dataDir, 'registry')};DB_CLOSE_ON_EXIT=FALSE`,
      APICURIO_DATASOURCE_USERNAME: 'sa',
      APICURIO_DATASOURCE_PASSWORD: 'sa',
      QUARKUS_LOG_LEVEL: 'WARN',
      QUARKUS_LOG_CATEGORY__IO_QUARKUS__LEVEL: 'INFO',
    },
  });
}

export async function registryAnswers(url: string, timeoutMs = 3000): Promise<boolean> {
  try {
    const res = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}
