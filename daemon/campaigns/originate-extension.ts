import type { Context, Extension } from '../extension.js';
import { CommandError } from '../telemetry/commands.js';
import { Originator, type OriginateRequest } from './originate.js';

/**
 * `originate` for central IT (cmd/originate) and the CLI (which sends the same command): dial a
 * number on a chosen line and connect it to the bot flow or an agent. Like every command it must be
 * enabled in mqtt.commands; give it a secret in mqtt.command_tokens so only holders of the token can
 * make the box dial. The reply comes once the callee answered, or with why not.
 */
export class OriginateExtension implements Extension {
  readonly name = 'originate';
  private off: (() => void) | undefined;

  async start(ctx: Context): Promise<void> {
    const { lines, calls } = ctx.services;
    const originator = new Originator({ bus: ctx.bus, log: ctx.log.child({ component: 'originate' }), config: () => ctx.config(), lines, runBot: (leg) => calls.require().runBot(leg), dialGate: () => calls.require().dialGate });
    this.off = ctx.services.commands.register('originate', {
      summary: 'dial a number on a line and connect it to the bot or an agent',
      schema: (Type) => Type.Object(
        {
          target: Type.String({ pattern: '^\\+?[0-9]{3,20}$' }),
          line: Type.Optional(Type.String({ maxLength: 32 })),
          connect: Type.Union([Type.Literal('bot'), Type.Literal('agent')]),
          extension: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z*#+]{1,32}$' })),
          ring_timeout_s: Type.Optional(Type.Integer({ minimum: 5, maximum: 120 })),
          by: Type.Optional(Type.Literal('cli')),
        },
        { additionalProperties: false },
      ),
      handler: async (p: { target: string; line?: string; connect: 'bot' | 'agent'; extension?: string; ring_timeout_s?: number; by?: 'cli' }) => {
        const req: OriginateRequest = { target: p.target, connect: p.connect, by: p.by ?? 'mqtt', ...(p.line ? { line: p.line } : {}), ...(p.extension ? { extension: p.extension } : {}), ...(p.ring_timeout_s ? { ringTimeoutMs: p.ring_timeout_s * 1000 } : {}) };
        try {
          const r = await originator.originate(req);
          if (r.result === 'refused') throw new CommandError(`refused: ${r.detail ?? ''}`);
          return r;
        } catch (err) {
          throw err instanceof CommandError ? err : new CommandError((err as Error).message);
        }
      },
    });
  }

  async stop(): Promise<void> {
    this.off?.();
  }
}
