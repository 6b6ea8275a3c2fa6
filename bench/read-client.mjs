/**
 * The read bench's HTTP client (bench/read.ts), in a process of its own: latency as a caller of the API
 * sees it, without the caller's own fetch work and garbage collection pausing the server's event loop
 * (with both in one process, a client-side GC of ~10 ms landed in a server-side request).
 *
 * stdin: one JSON object {url, token, warmup, n, intervalMs?}: `intervalMs` paces the measured requests
 * (one every intervalMs, as a dashboard polls; default back to back); stdout: one JSON object {firstMs, latencies}, each
 * latency in ms from before fetch to the last byte of the body (keep-alive). Any non-200 answer ends
 * it with the status on stderr and exit code 1.
 */
import { text } from 'node:stream/consumers';

const job = JSON.parse(await text(process.stdin));
const headers = { authorization: `Bearer ${job.token}` };

async function once() {
  const t = process.hrtime.bigint();
  const r = await fetch(job.url, { headers });
  const body = await r.text();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 200) {
    process.stderr.write(`${job.url}: HTTP ${r.status}: ${body.slice(0, 300)}\n`);
    process.exit(1);
  }
  return ms;
}

const firstMs = job.warmup > 0 ? await once() : null;
for (let i = 1; i < job.warmup; i++) await once();
const latencies = [];
const interval = job.intervalMs ?? 0;
for (let i = 0; i < job.n; i++) {
  const started = performance.now();
  latencies.push(await once());
  const rest = interval - (performance.now() - started);
  if (rest > 0) await new Promise((r) => setTimeout(r, rest));
}
process.stdout.write(JSON.stringify({ firstMs, latencies }));
