import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { topicPrefix } from '../telemetry/extension.js';
import { cliConfig } from './box-store.js';

const USAGE = `usage: frontdesk originate [-c FILE] --to NUMBER [--line ID] [--agent EXT] [--ring-timeout S]
  dial NUMBER on a line of the running daemon; connect the callee to the bot (default) or to agent EXT
`;

/**
 * The CLI side of originate: the daemon holds the modems, so the CLI asks it over the box's own MQTT
 * broker connection settings with the same cmd/originate command central IT uses (and the token
 * from mqtt.command_tokens in the config file, which only the box's administrator can read).
 */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, to: { type: 'string' }, line: { type: 'string' }, agent: { type: 'string' }, 'ring-timeout': { type: 'string' } }, strict: true });
  if (!values.to) {
    process.stderr.write(USAGE);
    return 2;
  }
  const config = await cliConfig(values.config);
  if (!config) return 1;
  const m = config.mqtt;
  if (!m) {
    process.stderr.write('frontdesk originate: the config has no mqtt section; originate goes through the daemon\'s MQTT commands\n');
    return 1;
  }
  const prefix = topicPrefix(config);
  const client = await mqtt.connectAsync(m.url, {
    protocolVersion: 5,
    clientId: `frontdesk-cli-${randomUUID().slice(0, 8)}`,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...(m.ca ? { ca: readFileSync(m.ca) } : {}),
    ...(m.cert ? { cert: readFileSync(m.cert) } : {}),
    ...(m.key ? { key: readFileSync(m.key) } : {}),
    ...(m.username !== undefined ? { username: m.username, password: m.password ?? '' } : {}),
  });
  try {
    const replyTopic = `${prefix}/cli/${randomUUID().slice(0, 8)}`;
    const correlationData = Buffer.from(randomUUID());
    await client.subscribeAsync(replyTopic, { qos: 1 });
    const reply = new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no answer from the daemon within 90 s')), 90_000);
      client.on('message', (topic, payload, packet) => {
        if (topic !== replyTopic || !packet.properties?.correlationData?.equals(correlationData)) return;
        clearTimeout(t);
        resolve(payload.toString());
      });
    });
    const body = { target: values.to, connect: values.agent ? 'agent' : 'bot', by: 'cli', ...(values.line ? { line: values.line } : {}), ...(values.agent ? { extension: values.agent } : {}), ...(values['ring-timeout'] ? { ring_timeout_s: Number(values['ring-timeout']) } : {}), ...(m.command_tokens?.originate ? { token: m.command_tokens.originate } : {}) };
    await client.publishAsync(`${prefix}/cmd/originate`, JSON.stringify(body), { qos: 1, properties: { responseTopic: replyTopic, correlationData } });
    const text = await reply;
    process.stdout.write(`${text}\n`);
    return (JSON.parse(text) as { ok: boolean }).ok ? 0 : 1;
  } finally {
    await client.endAsync(true).catch(() => undefined); // the answer is printed; the CLI exits either way
  }
}
