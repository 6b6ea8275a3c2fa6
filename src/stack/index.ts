import { mkdirSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { StackError } from '../errors.js';
import { findJavas, requireJava, requireMaven } from './java.js';
import { ensureKafkaJars, kafkaAddress, kafkaAnswers, kafkaProcess, prepareKafka, startKafka } from './kafka.js';
import { stackLayout, type StackLayout } from './layout.js';
import { runningPid, stopTracked } from './processes.js';
import { ensureRegistry, planRegistry, registryAnswers, registryProcess, registryUrl, startRegistry } from './registry.js';

export interface ServiceStatus {
  name: 'kafka' | 'registry';
  pid?: number;
  answers: boolean;
  address: string;
}

export interface StackStatus {
  dir: string;
  services: ServiceStatus[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, probe: () => Promise<boolean>, alive: () => boolean, timeoutMs: number, log: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    if (!alive()) throw new StackError(`${what} exited during start-up; see ${log}`, 'STACK_START_FAILED');
    await sleep(500);
  }
  throw new StackError(`${what} did not answer within ${Math.round(timeoutMs / 1000)} s; see ${log}`, 'STACK_START_FAILED');
}

export type Say = (line: string) => void;

/** Idempotent: a service already running (by PID) is left alone and only waited for. */
export async function stackUp(cfg: Config, say: Say): Promise<StackStatus> {
  const l = stackLayout(cfg);
  mkdirSync(l.logs, { recursive: true });
  const mvn = requireMaven();
  const javas = findJavas();
  const kafkaJava = requireJava(javas, 17, `Apache Kafka ${l.kafkaVersion}`);
  const regPlan = planRegistry(l, javas);
  if (regPlan.note) say(regPlan.note);

  const kp = kafkaProcess(l);
  const rp = registryProcess(l);
  const kafkaRunning = runningPid(kp) !== undefined;
  const registryRunning = runningPid(rp) !== undefined;

  // Downloads run side by side: on a fresh machine they are most of the wait.
  const [, jar] = await Promise.all([
    kafkaRunning ? Promise.resolve() : (say(`resolving Apache Kafka ${l.kafkaVersion} (Maven Central, cached after the first run)`), ensureKafkaJars(l, mvn)),
    registryRunning ? Promise.resolve('') : (say(`resolving Apicurio Registry ${regPlan.version} (Maven Central, cached after the first run)`), ensureRegistry(l, regPlan.version, mvn)),
  ]);
  if (!kafkaRunning) {
    await prepareKafka(l, kafkaJava);
    const pid = startKafka(l, kafkaJava);
    say(`started Kafka ${l.kafkaVersion} (pid ${pid}, Java ${kafkaJava.major})`);
  } else say('Kafka already running');
  if (!registryRunning) {
    const pid = startRegistry(l, regPlan, jar);
    say(`started Apicurio Registry ${regPlan.version} (pid ${pid}, Java ${regPlan.java.major})`);
  } else say('registry already running');

  await Promise.all([
    waitFor('Kafka', () => kafkaAnswers(kafkaAddress(l)), () => runningPid(kp) !== undefined, 120_000, `${l.logs}/kafka.log`),
    waitFor('the registry', () => registryAnswers(registryUrl(l)), () => runningPid(rp) !== undefined, 180_000, `${l.logs}/registry.log`),
  ]);
  return stackStatus(cfg);
}

export async function stackDown(cfg: Config, say: Say): Promise<void> {
  const l = stackLayout(cfg);
  for (const p of [registryProcess(l), kafkaProcess(l)]) {
    const pid = runningPid(p);
    if (pid === undefined) {
      say(`${p.name}: not running`);
      continue;
    }
    const gone = await stopTracked(p);
    if (!gone) throw new StackError(`${p.name} (pid ${pid}) did not stop`, 'STACK_STOP_FAILED');
    say(`${p.name}: stopped (pid ${pid})`);
  }
}

export async function stackStatus(cfg: Config): Promise<StackStatus> {
  const l: StackLayout = stackLayout(cfg);
  const kp = runningPid(kafkaProcess(l));
  const rp = runningPid(registryProcess(l));
  const [ka, ra] = await Promise.all([
    kp === undefined ? false : kafkaAnswers(kafkaAddress(l)),
    rp === undefined ? false : registryAnswers(registryUrl(l)),
  ]);
  return {
    dir: l.dir,
    services: [
      { name: 'kafka', ...(kp === undefined ? {} : { pid: kp }), answers: ka, address: kafkaAddress(l) },
      { name: 'registry', ...(rp === undefined ? {} : { pid: rp }), answers: ra, address: registryUrl(l) },
    ],
  };
}
