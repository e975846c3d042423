import type { TSchema, Type } from '@sinclair/typebox';
import { createHash, timingSafeEqual } from 'node:crypto';
import { SCHEMA_VERSION } from '../store/outbox.js';

/**
 * Commands from central IT on frontdesk/<site>/<node>/cmd/<name>. Each has a payload schema and a
 * handler; features add theirs to the app's registry (`ctx.services.commands.register(...)`: the
 * call core's agent-state, originate, tickets) and telemetry serves it. A command runs only if the config enables it
 * (mqtt.commands). Whatever arrives, the sender gets a reply, never a crash.
 */

export interface CommandSpec<P = unknown> {
  /**
   * Payload schema, built with the TypeBox builder it is given when the first command arrives (an
   * absent payload is checked as {}): TypeBox, a few hundred modules, stays out of the daemon's
   * memory until central IT sends a command.
   */
  schema: (t: typeof Type) => TSchema;
  handler: (payload: P) => unknown | Promise<unknown>;
  summary?: string;
}

export type CommandReply =
  | { schema: number; command: string; ok: true; result: unknown }
  | { schema: number; command: string; ok: false; error: { code: ErrorCode; message: string; details?: string[] } };

export type ErrorCode = 'unknown-command' | 'disabled' | 'unauthorised' | 'invalid-json' | 'invalid-payload' | 'failed' | 'too-large';

/** Thrown by a handler to fail with details (e.g. the config errors of a rejected reload). */
export class CommandError extends Error {
  constructor(message: string, readonly details?: string[]) {
    super(message);
  }
}

export const MAX_COMMAND_BYTES = 64 * 1024;

export class CommandRegistry {
  private readonly specs = new Map<string, CommandSpec>();
  private readonly fallbacks = new Map<string, CommandSpec>();
  private readonly built = new WeakMap<CommandSpec, TSchema>();

  /**
   * Add a command. `fallback` ones (telemetry's own stand-ins) give way to a real handler registered
   * under the same name by the feature that owns it. Returns an unregister function.
   */
  register<P>(name: string, spec: CommandSpec<P>, opts: { fallback?: boolean } = {}): () => void {
    if (!/^[a-z][a-z-]*$/.test(name)) throw new Error(`bad command name "${name}"`);
    const map = opts.fallback ? this.fallbacks : this.specs;
    if (map.has(name)) throw new Error(`command "${name}" is already registered`);
    map.set(name, spec as CommandSpec);
    return () => {
      if (map.get(name) === spec) map.delete(name);
    };
  }

  get(name: string): CommandSpec | undefined {
    return this.specs.get(name) ?? this.fallbacks.get(name);
  }

  names(): string[] {
    return [...new Set([...this.specs.keys(), ...this.fallbacks.keys()])].sort();
  }

  /**
   * Validate and run one command; always resolves with a reply. `tokens`: commands that need a shared secret (mqtt.command_tokens); the payload carries it as
   * "token", checked in constant time and removed before the payload is validated.
   */
  async handle(name: string, raw: Buffer, enabled: ReadonlySet<string>, tokens: Readonly<Record<string, string>> = {}): Promise<CommandReply> {
    const fail = (code: ErrorCode, message: string, details?: string[]): CommandReply => ({ schema: SCHEMA_VERSION, command: name, ok: false, error: { code, message, ...(details ? { details } : {}) } });
    const spec = this.get(name);
    if (!spec) return fail('unknown-command', `no command "${name}"; known: ${this.names().join(', ')}`);
    if (!enabled.has(name)) return fail('disabled', `command "${name}" is not enabled on this box (mqtt.commands)`);
    if (raw.length > MAX_COMMAND_BYTES) return fail('too-large', `payload over ${MAX_COMMAND_BYTES} bytes`);
    let payload: unknown = {};
    const text = raw.toString('utf8').trim();
    if (text) {
      try {
        payload = JSON.parse(text);
      } catch (err) {
        return fail('invalid-json', `payload is not JSON: ${(err as Error).message}`);
      }
    }
    const need = tokens[name];
    if (need !== undefined) {
      const given = payload && typeof payload === 'object' ? (payload as Record<string, unknown>).token : undefined;
      const digest = (s: string) => createHash('sha256').update(s).digest();
      if (typeof given !== 'string' || !timingSafeEqual(digest(given), digest(need))) return fail('unauthorised', `command "${name}" needs its token (mqtt.command_tokens)`);
      const { token: _token, ...rest } = payload as Record<string, unknown>;
      payload = rest;
    }
    const [{ Type }, { Value }] = await Promise.all([import('@sinclair/typebox'), import('@sinclair/typebox/value')]);
    let schema = this.built.get(spec);
    if (!schema) this.built.set(spec, (schema = spec.schema(Type)));
    if (!Value.Check(schema, payload)) {
      const details = [...Value.Errors(schema, payload)].slice(0, 10).map((e) => `${e.path || '/'}: ${e.message}`);
      return fail('invalid-payload', `payload does not match the "${name}" command`, details);
    }
    try {
      const result = await spec.handler(payload);
      return { schema: SCHEMA_VERSION, command: name, ok: true, result: result ?? null };
    } catch (err) {
      return fail('failed', (err as Error)?.message ?? String(err), err instanceof CommandError ? err.details : undefined);
    }
  }
}

/** Commands enabled when mqtt.commands is not set: read-only ones and reload. */
export const DEFAULT_COMMANDS = ['status', 'reload'];
