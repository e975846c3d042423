#!/usr/bin/env node
import { readFileSync } from 'node:fs';

/**
 * `frontdesk <command>`: each command is a module under daemon/commands exporting run(argv), loaded
 * only when used so `frontdesk schema` does not pull in serial ports or sqlite.
 */
const commands: Record<string, { module: string; summary: string }> = {
  run: { module: './commands/run.js', summary: 'run [-c FILE]          run the daemon (default config /etc/frontdesk/frontdesk.yaml)' },
  'check-config': { module: './commands/check-config.js', summary: 'check-config FILE      validate a config (exit 0 valid, 1 invalid)' },
  schema: { module: './commands/schema.js', summary: 'schema                 print the config JSON Schema' },
  'emulate-modem': { module: './commands/emulate-modem.js', summary: 'emulate-modem ...      run a GSM modem emulator on tty pairs (see drivers/gsm/README.md)' },
  demo: { module: './commands/demo.js', summary: 'demo [--json]          a whole call on emulated hardware' },
  passwd: { module: './commands/passwd.js', summary: 'passwd                 print a password hash for console.users[].password_hash' },
  monitor: { module: './commands/monitor.js', summary: 'monitor --url URL      live view of boxes over MQTT, for central IT' },
  originate: { module: './commands/originate.js', summary: 'originate --to N ...   dial out through the running daemon (bot or --agent EXT)' },
  customers: { module: './commands/customers.js', summary: 'customers import|export|show   customer records: CSV in and out, one profile with history' },
  campaigns: { module: './commands/campaigns.js', summary: 'campaigns export ID    a campaign\'s results as CSV' },
  sms: { module: './commands/sms.js', summary: 'sms send|list ...      queue an SMS (the daemon sends it) / list the send queue' },
  knowledge: { module: './commands/knowledge.js', summary: 'knowledge unanswered|hits [-c FILE] [--json]  what the knowledge base missed / its hit counts' },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === 'version') {
    process.stdout.write(`frontdesk ${version()}\n`);
    return 0;
  }
  const cmd = name ? commands[name] : undefined;
  if (!cmd) {
    const help = Object.values(commands).map((c) => `  frontdesk ${c.summary}`).join('\n');
    (name && name !== 'help' && name !== '--help' ? process.stderr : process.stdout).write(`${name && name !== 'help' && name !== '--help' ? `unknown command: ${name}\n` : ''}usage:\n${help}\n  frontdesk --version\n`);
    return name && name !== 'help' && name !== '--help' ? 2 : 0;
  }
  let mod: { run: (argv: string[]) => Promise<number> };
  try {
    mod = (await import(cmd.module)) as typeof mod;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(cmd.module.slice(2))) {
      process.stderr.write(`frontdesk ${name}: not available in this build yet\n`);
      return 2;
    }
    throw err;
  }
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`frontdesk: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
