/**
 * SMS templates: text with {slot} placeholders filled from what the call captured (order number,
 * ticket number, callback time...). A placeholder with no value is an error, never a message with
 * a hole in it.
 */
export function renderTemplate(template: string, values: Record<string, string | undefined>): string {
  const missing: string[] = [];
  const out = template.replace(/\{([A-Za-z0-9_-]+)\}/g, (_, k: string) => {
    const v = values[k];
    if (v === undefined || v === '') missing.push(k);
    return v ?? '';
  });
  if (missing.length) throw new Error(`template needs ${missing.map((m) => `{${m}}`).join(', ')}, which the call did not provide`);
  return out;
}

/** Placeholders a template uses (for the config check). */
export function placeholders(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z0-9_-]+)\}/g)].map((m) => m[1]!);
}
