import { statfsSync } from 'node:fs';
import type { CheckinMessage, OutcomeMessage, TallyMessage } from '@qrkiosk/protocol';
import type { Clock } from '../clock.js';
import { asideOf, isCorruption, moveAside } from '../db-files.js';
import type { Faults } from '../faults.js';
import type { Logger } from '../log.js';
import type { Journal, MonoStamp } from './index.js';

/** What the uplink needs of the journal (its outbox), through the keeper's guard. */
export type Outbox = Pick<Journal, 'undelivered' | 'markDeliveredMany' | 'pendingCount'>;

/** How often a journal deleted under the running daemon is looked for when no scan comes (one stat). */
const DELETED_CHECK_MS = 30_000;

/**
 * Below this much free space an I/O error on the journal is taken for a full disk. SQLite reports a
 * full disk as SQLITE_FULL on writes but as SQLITE_IOERR_SHMSIZE when it cannot size the -shm file
 * on open (seen on a filled tmpfs). One check-in's commit adds ~22 KiB to the WAL (measured over 100
 * appends: 5 pages — the row, three indexes, sqlite_sequence); under 256 KiB a kiosk is ~11 scans from full.
 */
const LOW_SPACE_BYTES = 256 * 1024;
/**
 * "Disk almost full": under 10 % of the file system and under 200 MiB free. A check-in row is well
 * under 1 KiB, so 200 MiB is weeks of a busy entrance: time for a technician. Relative too, so a
 * small data partition (or a test's 4 MiB tmpfs) is not low while nearly empty.
 */
const DISK_LOW_BYTES = 200 * 1024 * 1024;
const DISK_LOW_SHARE = 0.1;

/** The `disk-low` rule, for the keeper and `qrkiosk doctor` alike. */
export function isDiskLow(fs: { bavail: number; bsize: number; blocks: number }): boolean {
  const free = fs.bavail * fs.bsize;
  return free < DISK_LOW_BYTES && free < fs.blocks * fs.bsize * DISK_LOW_SHARE;
}

/**
 * The journal's guarded write path. It never lets the kiosk go down for a storage fault: a journal
 * that cannot be opened or written raises a fault and the scan gets the 'record failed' verdict;
 * the next scan tries again, so the kiosk recovers by itself when space returns. A corrupt journal
 * is moved aside and a fresh one made; a journal deleted under us is replaced, with its undelivered
 * rows copied over from the handle that still reaches it.
 */
export class RecordKeeper {
  constructor(
    private readonly journal: Journal,
    private readonly faults: Faults,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly dataDir: string,
  ) {}

  private checkTimer: NodeJS.Timeout | undefined;

  /** At start: opens the journal, or raises the fault and leaves it closed (never throws). */
  open(): void {
    this.tryOpen();
    // A journal deleted while no one scans would lose its undelivered rows at the next stop: look.
    this.checkTimer = setInterval(() => this.check(), DELETED_CHECK_MS);
    this.checkTimer.unref();
  }

  /**
   * Looks for a journal deleted under us (and rescues its undelivered rows into a new file). Run
   * before each append, every 30 s, and before the journal is closed at stop.
   */
  check(): void {
    if (this.journal.isOpen && !this.journal.stillOnDisk()) this.replace('journal-deleted');
  }

  /** At stop: a last look for a deleted journal, then close. */
  close(): void {
    if (this.checkTimer) clearInterval(this.checkTimer);
    this.check();
    this.journal.close();
  }

  /**
   * A read of the journal that never takes the kiosk down: a corrupt file is moved aside and
   * replaced (fault raised), any other failure raises `journal-unwritable`; the caller gets `fallback`.
   */
  read<T>(what: () => T, fallback: T): T {
    if (!this.journal.isOpen) return fallback;
    try {
      return what();
    } catch (err) {
      this.failed(err);
      return fallback;
    }
  }

  /** The journal as the uplink's outbox: reads fall back, a failed mark is handled and rethrown. */
  outbox(): Outbox {
    return {
      undelivered: (afterSeq, limit) => this.read(() => this.journal.undelivered(afterSeq, limit), []),
      pendingCount: () => this.read(() => this.journal.pendingCount(), 0),
      markDeliveredMany: (ids, at) => {
        if (!this.journal.isOpen) throw new Error('journal is not open');
        try {
          this.journal.markDeliveredMany(ids, at);
        } catch (err) {
          this.failed(err);
          throw err;
        }
      },
    };
  }

  private failed(err: unknown): void {
    if (isCorruption(err)) this.replace('journal-corrupt', err);
    else this.unwritable(err);
  }

  /** Appends durably or throws; on success the recording faults clear (space came back). */
  append(checkin: CheckinMessage | OutcomeMessage | TallyMessage, stamp: MonoStamp): number {
    this.check();
    if (!this.journal.isOpen && !this.tryOpen()) throw new Error('journal is not open');
    let seq: number;
    try {
      seq = this.journal.append(checkin, stamp);
    } catch (err) {
      if (isCorruption(err)) this.replace('journal-corrupt', err);
      else this.unwritable(err);
      throw err;
    }
    this.faults.clear('journal-unwritable');
    this.faults.clear('disk-full');
    this.checkSpace();
    return seq;
  }

  /**
   * `disk-low` while little is free (DISK_LOW_BYTES): the guard calls a technician before the journal
   * stops (disk-full). One statfs per check-in and per prune; a failed statfs changes nothing.
   */
  checkSpace(): void {
    try {
      const fs = statfsSync(this.dataDir);
      if (isDiskLow(fs)) this.faults.raise('disk-low', undefined, { free: fs.bavail * fs.bsize });
      else this.faults.clear('disk-low');
    } catch {
      // No answer about space is not news about space.
    }
  }

  /** The hourly outbox policy (Journal.prune); a failure is logged and tried again next time. */
  prune(options: Parameters<Journal['prune']>[0]): void {
    this.checkSpace();
    if (!this.journal.isOpen) return;
    try {
      const removed = this.journal.prune(options);
      this.faults.clear('prune-failed');
      if (removed.undeliveredDropped > 0)
        this.log.error(
          { dropped: removed.undeliveredDropped, limit: options.maxUndelivered },
          'outbox full: oldest undelivered check-ins dropped',
        );
    } catch (err) {
      this.faults.raise('prune-failed', err);
      if (isCorruption(err)) this.replace('journal-corrupt', err);
      else if (this.diskFull(err)) this.faults.raise('disk-full', err);
    }
  }

  private tryOpen(): boolean {
    try {
      this.journal.open(this.clock.now());
      return true;
    } catch (err) {
      const aside = asideOf(err);
      if (!aside) {
        this.unwritable(err);
        return false;
      }
      // Renamed aside by Journal.open: the folder now takes a fresh journal.
      try {
        this.journal.open(this.clock.now());
        this.faults.raise('journal-corrupt', err, { aside });
        return true;
      } catch (again) {
        this.faults.raise('journal-corrupt', err, { aside });
        this.unwritable(again);
        return false;
      }
    }
  }

  /**
   * Swaps the journal for a fresh file: undelivered rows readable through the old handle are kept,
   * a corrupt file is renamed aside (never deleted: a technician may recover more from it).
   */
  private replace(code: 'journal-corrupt' | 'journal-deleted', err?: unknown): boolean {
    const carried = this.journal.readUndelivered();
    let aside: string | undefined;
    try {
      // Renamed before the close: closing deletes the -wal found under the old name.
      if (code === 'journal-corrupt') aside = moveAside(this.journal.file, this.clock.now());
    } catch (renameErr) {
      this.log.error({ err: renameErr }, 'could not move the corrupt journal aside');
    }
    try {
      this.journal.close();
    } catch (closeErr) {
      this.log.warn({ err: closeErr }, 'closing the old journal failed');
    }
    try {
      this.journal.open(this.clock.now());
      const rescued = this.journal.adopt(carried);
      this.faults.raise(code, err, { aside, rescued });
      return true;
    } catch (openErr) {
      this.faults.raise(code, err, { aside, lost: carried.rows.length });
      this.unwritable(openErr);
      return false;
    }
  }

  private unwritable(err: unknown): void {
    this.faults.raise('journal-unwritable', err);
    if (this.diskFull(err)) this.faults.raise('disk-full', err);
  }

  private diskFull(err: unknown): boolean {
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_FULL' || code === 'ENOSPC') return true;
    try {
      const fs = statfsSync(this.dataDir);
      return fs.bavail * fs.bsize < LOW_SPACE_BYTES;
    } catch {
      return false;
    }
  }
}
