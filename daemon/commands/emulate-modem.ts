import { parseArgs } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../../drivers/gsm/emulator/index.js';
import type { DialectName } from '../../drivers/gsm/dialects/types.js';

const USAGE = `usage: frontdesk emulate-modem [--dialect huawei|quectel|simcom] [--dir DIR]
       [--imei N] [--imsi N] [--iccid N] [--operator NAME] [--msisdn +N] [--csq 0-31]
       [--sim ready|pin|missing] [--pin NNNN] [--ring-interval MS]

Creates two tty pairs (DIR/at and DIR/voice, for a line's at_port and voice_port) and a control
socket DIR/control.sock taking JSON lines (see drivers/gsm/README.md). Runs until SIGINT/SIGTERM.`;

/** `frontdesk emulate-modem`: a GSM modem on real ttys for rehearsing a config without hardware. */
export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        dialect: { type: 'string', default: 'huawei' },
        dir: { type: 'string' },
        imei: { type: 'string' },
        imsi: { type: 'string' },
        iccid: { type: 'string' },
        operator: { type: 'string' },
        msisdn: { type: 'string' },
        csq: { type: 'string' },
        sim: { type: 'string', default: 'ready' },
        pin: { type: 'string' },
        'ring-interval': { type: 'string' },
        'boot-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const dialect = values.dialect as DialectName;
  if (!['huawei', 'quectel', 'simcom'].includes(dialect)) {
    process.stderr.write(`unknown dialect ${dialect}\n${USAGE}\n`);
    return 2;
  }
  const sim = values.sim as 'ready' | 'pin' | 'missing';
  if (!['ready', 'pin', 'missing'].includes(sim)) {
    process.stderr.write(`--sim must be ready, pin or missing\n`);
    return 2;
  }
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'frontdesk-modem-'));
  const opts: Parameters<typeof startEmulator>[0] = { dialect, dir, sim };
  if (values.imei) opts.imei = values.imei;
  if (values.imsi) opts.imsi = values.imsi;
  if (values.iccid) opts.iccid = values.iccid;
  if (values.operator) opts.operator = values.operator;
  if (values.msisdn) opts.msisdn = values.msisdn;
  if (values.pin) opts.pin = values.pin;
  if (values.csq) opts.csq = Number(values.csq);
  if (values['ring-interval']) opts.ringIntervalMs = Number(values['ring-interval']);
  if (values['boot-ms']) opts.bootMs = Number(values['boot-ms']);
  let emu;
  try {
    emu = await startEmulator(opts);
  } catch (err) {
    process.stderr.write(`emulate-modem: ${(err as Error).message}\n`);
    return 1;
  }
  // One JSON line first (for scripts and tests), then a human summary.
  process.stdout.write(JSON.stringify({ dialect, ...emu.paths }) + '\n');
  process.stderr.write(`${dialect} modem emulator\n  at_port:    ${emu.paths.at}\n  voice_port: ${emu.paths.voice}\n  control:    ${emu.paths.control}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await emu.close();
  return 0;
}
