/** Large configs for the benchmarks (bench-config, bench-gap): what an installer with a big site might write. */

/** An invalid config of about `kb` KB. */
export function invalidConfig(kb: number): string {
  let s = 'site: a\nnode: b\ntimezone: Asia/Shanghia\nlines:\n  - id: g\n    kind: analog\n    port: /dev/ttyACM0\nagents:\n';
  const agents: string[] = [];
  const queues: string[] = [];
  let size = s.length;
  for (let i = 0; size < kb * 1024; i++) {
    agents.push(`  - extension: "${1000 + i}"\n    name: Agent ${i}\n    skils: { billing: 2 }\n    wrap_up: soon\n`);
    queues.push(`  - id: q${i}\n    hours: { open: { mon: "9-18", Mon-Fir: "09:00-18:00" } }\n    strategy: fastest\n    hold_muisc: jazz\n`);
    size += agents[i]!.length + queues[i]!.length;
  }
  s += agents.join('') + 'queues:\n' + queues.join('') + 'bot:\n  greeting: hi\n  menu:\n    "1": queue:nope\n';
  return s;
}

/**
 * `yaml` (a valid config with an `agents:` list and a `queues:` list) grown to about `kb` KB with
 * valid agents and queues: what a reload of a big site's config costs.
 */
export function validConfig(yaml: string, kb: number, contactHost: string): string {
  const agents: string[] = [];
  const queues: string[] = [];
  let size = yaml.length;
  for (let i = 0; size < kb * 1024; i++) {
    agents.push(`  - extension: "${5000 + i}"\n    name: Agent ${i}\n    contact: sip:${5000 + i}@${contactHost}\n    skills: { q${i % 200}: 1 }\n    wrap_up: 5s\n`);
    if (i < 200) queues.push(`  - id: q${i}\n    skill: q${i}\n    ring_timeout: 20s\n`);
    size += agents[agents.length - 1]!.length + (queues[i]?.length ?? 0);
  }
  return yaml.replace(/^agents:\n/m, `agents:\n${agents.join('')}`).replace(/^queues:\n/m, `queues:\n${queues.join('')}`);
}
