import { startRig } from './telemetry-rig.js';

/**
 * A stand-in for the daemon in the crash tests: the real recorder, outbox and publisher on a sqlite
 * file. `produce N` records N numbered call events, prints "recorded N" once they are committed and
 * keeps publishing until killed; `flush` publishes whatever is left, prints "drained" and exits.
 */
const [mode, dir, url, count] = process.argv.slice(2) as [string, string, string, string | undefined];
const rig = await startRig({ dir, url });
if (mode === 'produce') {
  const n = Number(count);
  for (let i = 0; i < n; i++) rig.bus.emit('call.offered', { callId: `k-${i}`, lineId: 'gsm1', caller: '+8613900000001' });
  await rig.recorder.flushed();
  process.stdout.write(`recorded ${n}\n`);
  setInterval(() => undefined, 1 << 30);
} else {
  for (;;) {
    const r = await rig.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM outbox');
    if (r?.n === 0) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  process.stdout.write('drained\n');
  await rig.close({ keepDir: true });
  process.exit(0);
}
