import type { App } from '../app.js';
import type { Logger } from '../log.js';
import { durationOr } from '../config/duration.js';
import { createNotifier, watchdogUsec, type Notifier } from './sd-notify.js';
import { startIdleTrim } from './malloc-trim.js';

/**
 * Ties the App to its process: systemd notifications, the watchdog, and signals.
 * SIGTERM/SIGINT drain then exit 0; SIGHUP reloads the config. Returns when the app has stopped.
 */
export async function runUnderSupervisor(app: App, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const notifier: Notifier = createNotifier(env, (err) => log.warn({ err: err.message }, 'sd_notify failed'));
  const status = (): void => void notifier.notify(`STATUS=${app.status()}`);

  let reloading: Promise<unknown> = Promise.resolve();
  const onHup = (): void => {
    reloading = reloading.then(async () => {
      notifier.notify(`RELOADING=1\nMONOTONIC_USEC=${monotonicUsec()}`);
      await app.reload();
      notifier.notify('READY=1');
      status();
    });
  };
  process.on('SIGHUP', onHup);

  // Feed the watchdog only while healthy: a ping must mean "calls are being served", so a stalled
  // call core lets systemd restart us. A blocked event loop stops the timer itself.
  const wd = app.config.service?.watchdog === false ? undefined : watchdogUsec(env);
  const wdTimer = wd
    ? setInterval(() => {
        if (app.healthy()) notifier.notify('WATCHDOG=1');
        else log.warn('unhealthy: withholding the watchdog ping');
      }, Math.max(100, wd / 1000 / 2))
    : undefined;
  const statusTimer = setInterval(status, 10_000);
  statusTimer.unref();

  notifier.notify(`READY=1\nSTATUS=${app.status()}\nMAINPID=${process.pid}`);
  log.info({ notify: notifier.enabled, watchdogMs: wd ? wd / 1000 : undefined }, 'frontdesk running');
  const stopTrim = startIdleTrim(() => app.activeCalls(), log);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const grace = durationOr(app.config.service?.drain_grace, '30s');
  log.info({ signal, graceMs: grace, calls: app.activeCalls() }, 'stopping: no new calls; draining');
  notifier.notify(`STOPPING=1\nSTATUS=draining ${app.activeCalls()} call(s)`);
  process.off('SIGHUP', onHup);
  if (wdTimer) clearInterval(wdTimer);
  clearInterval(statusTimer);
  stopTrim();
  await reloading.catch(() => undefined); // a reload reports its own failure; stop only waits for it to end
  // A second signal while draining means "now".
  const hurry = (): void => {
    log.warn('second signal: stopping now');
    process.exit(1);
  };
  process.once('SIGTERM', hurry);
  process.once('SIGINT', hurry);
  await app.stop(grace);
  notifier.close();
  log.info('stopped');
  return 0;
}

function monotonicUsec(): string {
  return String(process.hrtime.bigint() / 1000n);
}
