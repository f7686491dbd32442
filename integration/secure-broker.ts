import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aclFile } from '@qrkiosk/hub';
import { makeTempDir, type RunningMosquitto, startMosquitto, writePasswordFile } from '@qrkiosk/testkit';

export const PASSWORDS = { hub: 'hub-secret', 'k-001': 'pass-001', 'k-002': 'pass-002' } as const;

/**
 * A real Mosquitto set up as hardware/mosquitto/ ships it: per-kiosk passwords, no anonymous access,
 * and the ACL `qrkiosk-hub kiosk acl` generates from the register (k-001 and k-002 at site s-001).
 */
export async function secureBroker(port?: number, extraConfig: string[] = []): Promise<RunningMosquitto> {
  const dir = makeTempDir('mqtt-auth-');
  const acl = join(dir, 'qrkiosk.acl');
  writeFileSync(
    acl,
    aclFile([
      { kiosk: 'k-001', site: 's-001', how: 'registered' },
      { kiosk: 'k-002', site: 's-001', how: 'registered' },
    ]),
  );
  return startMosquitto({
    ...(port ? { port } : {}),
    anonymous: false,
    extraConfig: [
      `password_file ${writePasswordFile(join(dir, 'passwd'), PASSWORDS)}`,
      `acl_file ${acl}`,
      'max_queued_messages 0',
      'max_inflight_messages 0',
      ...extraConfig,
    ],
  });
}
