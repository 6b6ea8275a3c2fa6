import { stackDown, stackStatus, stackUp, type StackStatus } from '../stack/index.js';
import type { Command } from './commands.js';

function printStatus(s: StackStatus, out: (l: string) => void): boolean {
  let allUp = true;
  for (const svc of s.services) {
    const state = svc.pid === undefined ? 'stopped' : svc.answers ? 'running' : 'started, not answering';
    if (state !== 'running') allUp = false;
    out(`${svc.name.padEnd(9)} ${state.padEnd(24)} ${svc.pid === undefined ? '' : `pid ${svc.pid}`.padEnd(10)} ${svc.address}`);
  }
  out(`state and logs in ${s.dir}`);
  return allUp;
}

export const stackCommand: Command = {
  name: 'stack',
  summary: 'start / stop / report a local Kafka broker (KRaft) and schema registry on loopback',
  usage: 'rollups stack up|down|status',
  async run({ config, args, out }) {
    const cfg = config();
    const sub = args[0];
    if (sub === 'up') {
      const s = await stackUp(cfg, out);
      printStatus(s, out);
      const k = s.services.find((x) => x.name === 'kafka');
      const r = s.services.find((x) => x.name === 'registry');
      out('');
      out(`KAFKA_BROKERS=${k?.address}`);
      out(`SCHEMA_REGISTRY_URL=${r?.address}`);
      return 0;
    }
    if (sub === 'down') {
      await stackDown(cfg, out);
      return 0;
    }
    if (sub === 'status') {
      return printStatus(await stackStatus(cfg), out) ? 0 : 3;
    }
    out(`usage: ${this.usage}`);
    return 2;
  },
};
