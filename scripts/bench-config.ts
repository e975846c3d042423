/**
 * Config validation time against file size: node dist/scripts/bench-config.js
 * Builds invalid configs of growing size (every queue with a bad time range, a bad strategy and a
 * misspelt key; agents with unknown keys and bad durations) and times parseConfig on each. Roughly
 * linear is the goal: ms per KB should stay about flat. Issue 12: a 190 KB invalid config took 11-12 s.
 */
import { parseConfig, ConfigError } from '../daemon/config/load.js';

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

/** CPU time (user + system) of one parse: the machine may be busy, and wall time would measure that. */
function time(text: string): { ms: number; issues: number } {
  const t0 = process.cpuUsage();
  let issues = 0;
  try {
    parseConfig(text, 'bench.yaml', {});
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    issues = err.issues.length;
  }
  const d = process.cpuUsage(t0);
  return { ms: (d.user + d.system) / 1000, issues };
}

time(invalidConfig(10)); // warm up: schema compilation
for (const kb of [25, 50, 100, 190, 380]) {
  const text = invalidConfig(kb);
  const runs = [time(text), time(text), time(text)].sort((a, b) => a.ms - b.ms);
  const best = runs[0]!;
  console.log(`${(text.length / 1024).toFixed(0).padStart(4)} KB invalid config: ${best.ms.toFixed(0).padStart(5)} ms CPU (best of 3), ${(best.ms / (text.length / 1024)).toFixed(2)} ms/KB, ${best.issues} problems`);
}
