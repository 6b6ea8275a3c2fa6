import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from '../errors.js';

export interface JavaRuntime {
  bin: string;
  major: number;
}

function majorOf(bin: string): number | undefined {
  // `java -version` writes to stderr.
  const r = spawnSync(bin, ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 });
  if (r.error || r.status !== 0) return undefined;
  return parseMajor(`${r.stderr}${r.stdout}`);
}

function parseMajor(text: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 ? Number(m[2]) : first;
}

/** Every Java runtime we can see: JAVA_HOME, the JDKs under /usr/lib/jvm, and `java` on PATH. */
export function findJavas(): JavaRuntime[] {
  const candidates = new Set<string>();
  if (process.env.JAVA_HOME) candidates.add(join(process.env.JAVA_HOME, 'bin', 'java'));
  for (const root of ['/usr/lib/jvm', '/opt/java', '/usr/local/lib/jvm']) {
    if (!existsSync(root)) continue;
    for (const d of readdirSync(root)) candidates.add(join(root, d, 'bin', 'java'));
  }
  candidates.add('java');
  const found: JavaRuntime[] = [];
  const seen = new Set<number>();
  for (const bin of candidates) {
    if (bin !== 'java' && !existsSync(bin)) continue;
    const major = majorOf(bin);
    if (major === undefined) continue;
    if (bin === 'java' && seen.has(major)) continue;
    seen.add(major);
    found.push({ bin, major });
  }
  return found.sort((a, b) => a.major - b.major);
}

/** The oldest runtime at least `min`: the broker and registry are tested on the lowest they support. */
export function pickJava(javas: JavaRuntime[], min: number): JavaRuntime | undefined {
  return javas.find((j) => j.major >= min);
}

export function requireJava(javas: JavaRuntime[], min: number, forWhat: string): JavaRuntime {
  const j = pickJava(javas, min);
  if (!j) {
    throw new StackError(
      `${forWhat} needs Java ${min} or newer and none was found: install one (Debian: apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME`,
      'JAVA_MISSING',
    );
  }
  return j;
}

export function requireMaven(): string {
  try {
    execFileSync('mvn', ['-v'], { stdio: 'ignore' });
    return 'mvn';
  } catch {
    throw new StackError('Maven (mvn) is needed to fetch Kafka and the registry from Maven Central: install it (Debian: apt-get install -y maven)', 'MAVEN_MISSING');
  }
}
