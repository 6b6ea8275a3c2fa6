/**
 * Every measured stage runs in a child process of its own: its CPU time (process.cpuUsage, which covers all
 * threads of the process: kafkajs, the embedded ClickHouse engine, librdkafka) and its peak RSS then belong
 * to that stage alone, and the embedded engine, one per process, is that stage's.
 *
 * Parent side: `runStage(script, input)`; child side: `stageMain(run)`. They talk over the fork IPC channel.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type Scalar = number | string | boolean | null;

export interface StageResult {
  stage: string;
  /** Events the stage handled. */
  events: number;
  /** From the first consumed batch (or the stage's own start signal) until everything was handled. */
  seconds: number;
  /** From the consumer's start (connect, group join) until everything was handled. */
  wallSeconds: number;
  eps: number;
  /** User + system CPU of the whole process over `wallSeconds`. */
  cpuSeconds: number;
  /** Peak resident set of the process (getrusage maxrss). */
  peakRssMb: number;
  /** RSS just before the stage started consuming (engine loaded, schema created). */
  baselineRssMb: number;
  extra: Record<string, Scalar>;
}

export type ChildMessage =
  | { type: 'result'; result: StageResult }
  | { type: 'ready' }
  | { type: 'log'; line: string }
  | { type: 'data'; data: unknown };

export type ParentMessage = { type: 'stop' };

export interface RunStageOptions {
  /** Extra node flags (e.g. --cpu-prof). */
  nodeFlags?: string[];
  onMessage?: (m: ChildMessage, send: (p: ParentMessage) => void) => void;
  env?: NodeJS.ProcessEnv;
}

/** Node flags the parent was started with that load TypeScript (tsx), kept for the children. */
function loaderFlags(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '--import' || a === '--require' || a === '--loader' || a === '-r') && i + 1 < argv.length) {
      out.push(a, argv[i + 1]!);
      i++;
    } else if (a.startsWith('--import=') || a.startsWith('--require=') || a.startsWith('--loader=')) {
      out.push(a);
    }
  }
  if (out.length === 0) out.push('--import', import.meta.resolve('tsx'));
  return out;
}

export function stagePath(name: string): string {
  return fileURLToPath(new URL(`./stages/${name}.ts`, import.meta.url));
}

/** Forks `script` with `input` as its one argument (JSON) and resolves with its result. */
export function runStage(script: string, input: unknown, opts: RunStageOptions = {}): Promise<{ result: StageResult | undefined; data: unknown[] }> {
  return new Promise((resolve, reject) => {
    const child = fork(script, [JSON.stringify(input)], {
      execArgv: [...loaderFlags(), ...(opts.nodeFlags ?? [])],
      env: { KAFKAJS_NO_PARTITIONER_WARNING: '1', ...(opts.env ?? process.env) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: StageResult | undefined;
    const data: unknown[] = [];
    const send = (p: ParentMessage) => {
      if (child.connected) child.send(p);
    };
    child.on('message', (raw) => {
      const m = raw as ChildMessage;
      if (m.type === 'result') result = m.result;
      else if (m.type === 'data') data.push(m.data);
      else if (m.type === 'log') process.stdout.write(`  ${m.line}\n`);
      opts.onMessage?.(m, send);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0 && result !== undefined) resolve({ result, data });
      else if (code === 0) resolve({ result: undefined, data });
      else reject(new Error(`${script} exited with ${signal ?? `code ${code}`}`));
    });
  });
}

// ---- child side ---------------------------------------------------------------------------------------

export function send(m: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      if (m.type === 'log') console.log(m.line);
      else console.log(JSON.stringify(m));
      resolve();
      return;
    }
    process.send(m, undefined, undefined, () => resolve());
  });
}

export function log(line: string): void {
  void send({ type: 'log', line });
}

/** Waits for one message of the given type from the parent. */
export function waitFor(type: ParentMessage['type']): Promise<void> {
  return new Promise((resolve) => {
    const on = (raw: unknown) => {
      if ((raw as ParentMessage).type === type) {
        process.off('message', on);
        resolve();
      }
    };
    process.on('message', on);
  });
}

/** CPU and memory of this process over a measured window. */
export class Meter {
  private cpu0 = process.cpuUsage();
  private rssSamples: number[] = [];
  private heapPeak = 0;
  private timer: NodeJS.Timeout | undefined;
  baselineRssMb = 0;

  /** Marks the start of the measured window; samples RSS every 250 ms. */
  start(): void {
    this.baselineRssMb = process.memoryUsage().rss / 1048576;
    this.cpu0 = process.cpuUsage();
    this.timer = setInterval(() => {
      const mu = process.memoryUsage();
      this.rssSamples.push(mu.rss / 1048576);
      // What the JavaScript side holds: V8 heap plus Buffers (kafkajs fetches live there).
      this.heapPeak = Math.max(this.heapPeak, (mu.heapUsed + mu.external) / 1048576);
    }, 250);
    this.timer.unref();
  }

  stop(): { cpuSeconds: number; peakRssMb: number; meanRssMb: number; heapPeakMb: number } {
    if (this.timer) clearInterval(this.timer);
    const d = process.cpuUsage(this.cpu0);
    const samples = this.rssSamples.length > 0 ? this.rssSamples : [process.memoryUsage().rss / 1048576];
    return {
      cpuSeconds: (d.user + d.system) / 1e6,
      // maxRSS is in kilobytes (getrusage).
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      meanRssMb: samples.reduce((a, b) => a + b, 0) / samples.length,
      heapPeakMb: this.heapPeak,
    };
  }
}

export function stageInput<T>(): T {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('a stage takes its input as one JSON argument');
  return JSON.parse(raw) as T;
}

/** Runs a stage's main function and exits: 0 after its result was sent, 1 on an error. */
export function stageMain(run: () => Promise<void>): void {
  run().then(
    () => {
      // Connections (kafkajs, the embedded engine) can keep the loop alive; the result is sent.
      setTimeout(() => process.exit(0), 50);
    },
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exit(1);
    },
  );
}
