import { PostgresAccounts } from './postgres-accounts.js';
import type { DeadLetterRow, KioskBinding } from './repository.js';

/**
 * PostgreSQL's kiosk bindings (which site a kiosk belongs to) and dead letters (messages the hub could not
 * take), kept apart from postgres.ts only to keep each file readable; PostgresRepository extends it.
 */
export class PostgresKioskRecords extends PostgresAccounts {
  async deadLetter(topic: string, reason: string, payload: Buffer, at: Date) {
    await this.pool.query(
      'INSERT INTO dead_letters (topic, reason, payload, received_at) VALUES ($1, $2, $3, $4)',
      [topic, reason.slice(0, 1000), payload.subarray(0, 65536), at],
    );
  }

  async deadLetterCount() {
    return (await this.rows<{ n: number }>('SELECT count(*) AS n FROM dead_letters'))[0]?.n ?? 0;
  }

  async kioskBinding(kiosk: string) {
    const [row] = await this.rows<KioskBinding>('SELECT kiosk, site, how FROM kiosk_sites WHERE kiosk = $1', [
      kiosk,
    ]);
    return row ?? null;
  }

  async bindKiosk(b: KioskBinding, at: Date) {
    await this.pool.query(
      'INSERT INTO kiosk_sites (kiosk, site, how, bound_at) VALUES ($1, $2, $3, $4) ON CONFLICT (kiosk) DO NOTHING',
      [b.kiosk, b.site, b.how, at],
    );
    return (await this.kioskBinding(b.kiosk)) ?? b;
  }

  async registerKiosk(b: KioskBinding, at: Date) {
    await this.pool.query(
      `INSERT INTO kiosk_sites (kiosk, site, how, bound_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (kiosk) DO UPDATE SET site = excluded.site, how = excluded.how, bound_at = excluded.bound_at`,
      [b.kiosk, b.site, b.how, at],
    );
  }

  async kioskBindings() {
    return this.rows<KioskBinding>('SELECT kiosk, site, how FROM kiosk_sites ORDER BY site, kiosk');
  }

  async deadLetters(options: { id?: number; limit?: number }) {
    const columns = 'seq AS id, topic, reason, payload, received_at AS "receivedAt"';
    return options.id !== undefined
      ? this.rows<DeadLetterRow>(`SELECT ${columns} FROM dead_letters WHERE seq = $1`, [options.id])
      : this.rows<DeadLetterRow>(`SELECT ${columns} FROM dead_letters ORDER BY seq LIMIT $1`, [
          options.limit ?? 1000,
        ]);
  }

  async deleteDeadLetter(id: number) {
    await this.pool.query('DELETE FROM dead_letters WHERE seq = $1', [id]);
  }

  async purgeDeadLetters(olderThan: Date) {
    return (
      (await this.pool.query('DELETE FROM dead_letters WHERE received_at < $1', [olderThan])).rowCount ?? 0
    );
  }
}
