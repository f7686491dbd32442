import type { CheckinMessage } from '@qrkiosk/protocol';

/**
 * A check-in as a page may see it: without `document.sealed` (the identity sealed to the tracing key) and
 * `document.links` (hashes of the person's other documents). Neither is readable, but a page has no use for
 * them, and a sealed box copied out of the hub is one more copy an attacker holding a stolen tracing key
 * could open: boxes leave the hub only through an audited reveal (issue #18).
 */
export function forPage(checkin: CheckinMessage): CheckinMessage {
  const { sealed, links, ...document } = checkin.document;
  return sealed === undefined && links === undefined ? checkin : { ...checkin, document };
}
