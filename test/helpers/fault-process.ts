import { Bus } from '../../daemon/bus/bus.js';
import { createLogger } from '../../daemon/log.js';
import { installSafetyNet } from '../../daemon/service/safety-net.js';

/**
 * A process with the daemon's safety net and faults nothing catches: `faults` throws from a timer
 * and leaves a rejected promise unhandled, then proves it is still alive; `storm` throws in a loop.
 * Log lines and alarms go to stdout as JSON.
 */
const mode = process.argv[2] ?? 'faults';
const log = createLogger({ level: 'info', pretty: false });
const bus = new Bus();
bus.on('alarm', (e) => void process.stdout.write(`${JSON.stringify({ alarm: e.data })}\n`));
installSafetyNet({ log, bus, activeCalls: () => 2, quietMs: 400, stormLimit: 5, stormWindowMs: 5000 });

if (mode === 'faults') {
  setTimeout(() => {
    throw new Error('boom from a timer');
  }, 10);
  setTimeout(() => void Promise.reject(new Error('boom from a promise')), 20);
  setTimeout(() => {
    process.stdout.write(`${JSON.stringify({ alive: true })}\n`);
    process.exit(0);
  }, 800);
} else {
  const t = setInterval(() => {
    throw new Error('boom in a loop');
  }, 5);
  setTimeout(() => clearInterval(t), 5000);
}
