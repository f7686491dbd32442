import { type KeyRing, RevocationListError } from '@qrkiosk/protocol';
import type { Faults } from '../faults.js';
import type { Logger } from '../log.js';
import { installRevocationList, loadRevocationList } from './install.js';
import type { RevocationList } from './list.js';

/**
 * The DCC revocation list in force on a kiosk: loaded at start from `<data.dir>/revocation.qrkr`
 * (verified again), replaced by each newer signed list the hub sends on `fleet/revocation`. A list that
 * is refused is logged with the reason; the one in force stays.
 */
export class RevocationSource {
  private list: RevocationList | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly keys: KeyRing,
    private readonly log: Logger,
    private readonly faults?: Faults,
  ) {}

  get current(): RevocationList | undefined {
    return this.list;
  }

  load(): void {
    try {
      this.list = loadRevocationList(this.dataDir, this.keys) ?? undefined;
      if (this.list)
        this.log.info({ version: this.list.version, entries: this.list.size }, 'DCC revocation list loaded');
    } catch (err) {
      // Altered on the card, or signed by a key no longer trusted: none until the hub's retained list
      // arrives again on connect (the uplink subscribes to fleet/+).
      // Raised, not only logged: telemetry carries it to the hub's fleet page until a list is in force.
      this.faults?.raise('revocation-missing', err);
      this.log.error({ err }, 'installed DCC revocation list refused; none in force until the hub sends one');
      this.list = undefined;
    }
  }

  /** Whether a new list was installed (freshness/ confirms only that). */
  receive(payload: Buffer): boolean {
    try {
      const result = installRevocationList(this.dataDir, payload, this.keys, this.list?.version ?? 0);
      if (!result.installed) {
        this.log.debug({ version: result.version }, 'DCC revocation list already installed');
        return false;
      }
      this.list = result.list;
      this.faults?.clear('revocation-missing');
      this.log.info(
        { version: result.list.version, entries: result.entries },
        'DCC revocation list installed',
      );
      return true;
    } catch (err) {
      if (!(err instanceof RevocationListError)) throw err;
      this.log.error({ err, code: err.code }, 'DCC revocation list refused; the list in force stays');
      return false;
    }
  }
}
