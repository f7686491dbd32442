import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Direction,
  ENROL_PATH,
  ENROLMENT_REFUSAL_STATUS,
  ENROLMENT_REFUSALS,
  ENROLMENT_SCHEMA_ID,
  type EnrolmentGrant,
  type EnrolmentRefusal,
  formatEnrolmentCode,
  keyId,
  newEnrolmentToken,
  sealTo,
  signGrant,
} from '@qrkiosk/protocol';

/** What the stand-in answers to the next redemptions (tests change it between cases). */
export type StandInAnswer =
  | { kind: 'grant'; password: string; hashKey?: Buffer; brokerUrl: string; ca?: string }
  /** A stranger's hub: claims the code's key id and lists its public key, but signs with another key. */
  | { kind: 'grant-signed-by-other-key'; password: string; brokerUrl: string }
  /** A grant sealed to a key the kiosk never sent (a replayed grant). */
  | { kind: 'grant-for-other-kiosk'; password: string; brokerUrl: string }
  /** A refusal; status defaults to the real hub's (REFUSAL_STATUS); message to protocol's sentence. */
  | { kind: 'refuse'; error: EnrolmentRefusal; status?: number; message?: { vi: string; en: string } }
  /** Never answers: the kiosk's timeout must fire. */
  | { kind: 'silent' };

/** The HTTP status the real hub answers each refusal with: protocol's contract, as the hub uses it. */
const HUB_STATUS: Partial<Record<EnrolmentRefusal, number>> = ENROLMENT_REFUSAL_STATUS;

/**
 * A THIN STAND-IN for the hub's `POST /api/enrol` — NOT the hub (hub/ builds the real endpoint, and the
 * lead runs the kiosk against it end to end). It exists so the kiosk side can be tested on real HTTP
 * with the real crypto: grants are made with protocol's signGrant and sealTo, exactly what the hub
 * calls; it checks nothing a real hub checks (token store, single use, broker accounts).
 */
export class StandInEnrolHub {
  readonly updateKey: { privateKey: KeyObject; publicKey: KeyObject };
  readonly requests: Array<Record<string, unknown>> = [];
  answer: StandInAnswer = { kind: 'refuse', error: 'code-unknown' };
  kiosk = { id: 'k-001', site: 's-001', direction: 'in' as Direction };
  private server: Server | undefined;
  url = '';

  constructor() {
    this.updateKey = generateKeyPairSync('ed25519');
  }

  get keyId(): string {
    return keyId(this.updateKey.publicKey);
  }

  /** A fresh code naming this stand-in (its URL and its update key's id). */
  code(): string {
    return formatEnrolmentCode({ token: newEnrolmentToken(), keyId: this.keyId, hubUrl: this.url });
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== ENROL_PATH) {
          res.writeHead(404).end('not found');
          return;
        }
        const request = JSON.parse(body) as Record<string, unknown>;
        this.requests.push(request);
        const a = this.answer;
        if (a.kind === 'silent') return;
        if (a.kind === 'refuse') {
          res.writeHead(a.status ?? HUB_STATUS[a.error] ?? 400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: a.error, message: a.message ?? ENROLMENT_REFUSALS[a.error] }));
          return;
        }
        const kioskKey =
          a.kind === 'grant-for-other-kiosk'
            ? generateKeyPairSync('x25519')
                .publicKey.export({ type: 'spki', format: 'der' })
                .toString('base64')
            : String(request.publicKey);
        const secrets = {
          password: a.password,
          hashKey: (a.kind === 'grant' && a.hashKey ? a.hashKey : randomBytes(32)).toString('base64'),
        };
        const grant: EnrolmentGrant = {
          schema: ENROLMENT_SCHEMA_ID,
          kiosk: this.kiosk.id,
          site: this.kiosk.site,
          direction: this.kiosk.direction,
          issuedAt: new Date().toISOString(),
          kioskKey,
          broker: { url: a.brokerUrl, ...(a.kind === 'grant' && a.ca ? { ca: a.ca } : {}) },
          username: this.kiosk.id,
          hubPublicKeys: [this.updateKey.publicKey.export({ type: 'spki', format: 'pem' }).toString()],
          sealed: sealTo(kioskKey, Buffer.from(JSON.stringify(secrets))),
        };
        const signing =
          a.kind === 'grant-signed-by-other-key' ? generateKeyPairSync('ed25519') : this.updateKey;
        const signed = signGrant(grant, signing);
        // The stranger claims the code's key id; only the signature can tell.
        if (a.kind === 'grant-signed-by-other-key') signed.keyId = this.keyId;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(signed));
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
