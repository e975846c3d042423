/**
 * Preloaded into the daemon by bench-memory (`node --import`): on SIGUSR2 it appends one JSON line
 * with the V8 side of the daemon's memory (heap used, external, code space) to $FD_MEMORY_PROBE.
 * RSS comes from /proc; this adds what /proc cannot tell. Only modules the daemon loads anyway.
 */
import { appendFileSync } from 'node:fs';
import v8 from 'node:v8';

const out = process.env.FD_MEMORY_PROBE;
if (out) {
  process.on('SIGUSR2', () => {
    const m = process.memoryUsage();
    const code = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'code_space');
    appendFileSync(out, `${JSON.stringify({ heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, codeSpace: code?.space_used_size ?? 0 })}\n`);
  });
}
