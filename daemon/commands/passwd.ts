import { hashPassword } from '../console/passwords.js';

/**
 * `frontdesk passwd`: read a password (twice on a terminal, without echo; once from a pipe) and print
 * its scrypt hash for console.users[].password_hash.
 */
export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write('usage: frontdesk passwd   (reads the password from the terminal or stdin, prints the hash for console.users[].password_hash)\n');
    return 0;
  }
  const tty = process.stdin.isTTY;
  const pw = tty ? await askHidden('password: ') : (await readAll()).replace(/\r?\n$/, '');
  if (tty && (await askHidden('again: ')) !== pw) {
    process.stderr.write('passwd: the two passwords differ\n');
    return 1;
  }
  try {
    process.stdout.write(`${await hashPassword(pw)}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`passwd: ${(err as Error).message}\n`);
    return 1;
  }
}

async function readAll(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split('\n')[0] ?? '';
}

function askHidden(prompt: string): Promise<string> {
  return new Promise((resolve) => {
    process.stderr.write(prompt);
    const stdin = process.stdin;
    stdin.setRawMode(true);
    stdin.resume();
    let s = '';
    const onData = (b: Buffer): void => {
      for (const ch of b.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          resolve(s);
          return;
        }
        if (ch === '\u0003') process.exit(130);
        if (ch === '\u007f') s = s.slice(0, -1);
        else s += ch;
      }
    };
    stdin.on('data', onData);
  });
}
