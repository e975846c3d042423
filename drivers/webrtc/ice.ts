import { Guard } from '../sip/guard.js';

/**
 * Which ICE candidates a browser phone may use: only addresses in `networks` (CIDR), both those we
 * offer and those we accept, so media stays on the networks the installer opened (and on loopback
 * in tests). mDNS (.local) candidates are dropped when a list is given: they cannot be checked.
 */
export function candidateFilter(networks: readonly string[] | undefined): (sdp: string) => string {
  if (!networks?.length) return (sdp) => sdp;
  const guard = new Guard({ allowFrom: [...networks] });
  return (sdp) =>
    sdp
      .split(/\r\n/)
      .filter((line) => {
        if (!line.startsWith('a=candidate:')) return true;
        const addr = line.split(' ')[4] ?? '';
        return guard.isAllowed(addr);
      })
      .join('\r\n');
}
