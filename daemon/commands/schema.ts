import { jsonSchema } from '../config/schema.js';

export const summary = 'schema              print the config JSON Schema (for editors; committed as config/frontdesk.schema.json)';

export function schemaText(): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...jsonSchema() }, null, 2)}\n`;
}

export async function run(): Promise<number> {
  process.stdout.write(schemaText());
  return 0;
}
