import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { PassListError, verifyPassList } from '@qrkiosk/protocol';
import {
  type BirthParts,
  type DecodeResult,
  decodePayload,
  type PassContext,
  type RevocationCheck,
  TrustStore,
} from '../decode/index.js';
import type { Lang } from '../i18n.js';
import {
  anyOf,
  hubKeysFromFiles,
  RevocationInputError,
  requestRevocation,
  revocationFromFile,
} from './decode-revocation.js';
import { toolSettings } from './tool-settings.js';

export interface DecodeOptions {
  json: boolean;
  at?: string;
  trust: string[];
  /** A signed revocation list file (QRKR1) and the hub keys to check it with. */
  revocation?: RevocationFileOptions;
  /** Printed passes: the site to judge the scope for (none: not judged) and a signed pass list file (QRKPL1). */
  passes?: { site?: string; list?: string };
}

export interface RevocationFileOptions {
  file?: string;
  /** Hub public keys (PEM); none: the kiosk settings' updates.publicKeyFiles. */
  hubKeys: string[];
}

/** The `--revocation FILE` list, verified; throws UsageError saying why it is refused. */
function loadRevocation(options: RevocationFileOptions | undefined, lang: Lang): RevocationCheck | undefined {
  if (!options?.file) return undefined;
  try {
    const keys =
      options.hubKeys.length > 0
        ? hubKeysFromFiles(options.hubKeys)
        : (toolSettings({}, lang)?.secrets.hubKeys ?? hubKeysFromFiles([]));
    return revocationFromFile(options.file, keys);
  } catch (err) {
    if (err instanceof RevocationInputError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * What a printed pass is verified with: the hub keys (--hub-key, or the kiosk settings' updates.publicKeyFiles),
 * the site of --site and the pass list of --passes. Built only for a pass, so other codes need no keys.
 */
function loadPassContext(options: DecodeOptions, lang: Lang): PassContext {
  const files = options.revocation?.hubKeys ?? [];
  let keys: PassContext['keys'];
  try {
    keys =
      files.length > 0
        ? hubKeysFromFiles(files)
        : (toolSettings({}, lang)?.secrets.hubKeys ?? hubKeysFromFiles([]));
  } catch (err) {
    if (err instanceof RevocationInputError) throw new UsageError(err.message);
    throw err;
  }
  if (keys.size === 0)
    throw new UsageError(
      'thẻ QR qrkiosk: cần khóa công khai của trung tâm (--hub-key FILE hoặc updates.publicKeyFiles trong kiosk.yaml) / a qrkiosk pass needs the hub public key (--hub-key FILE, or updates.publicKeyFiles in kiosk.yaml)',
    );
  const file = options.passes?.list;
  if (!file) return { keys, site: options.passes?.site };
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UsageError(`--passes ${file}: không đọc được tệp (${why}) / cannot read the file (${why})`);
  }
  try {
    return { keys, site: options.passes?.site, list: verifyPassList(bytes, keys) };
  } catch (err) {
    if (err instanceof PassListError)
      throw new UsageError(`--passes ${file}: ${PASS_LIST_REFUSED[err.code]} (${err.code}: ${err.message})`);
    throw err;
  }
}

/** Why a `--passes` file is refused, said in both languages (the technician's detail follows in English). */
const PASS_LIST_REFUSED: Record<PassListError['code'], string> = {
  format: 'không phải danh sách thẻ hợp lệ / not a valid pass list',
  unsigned: 'danh sách không có chữ ký / the list is not signed',
  'unknown-key': 'ký bằng khóa không được tin cậy / signed by a key not trusted',
  'bad-signature': 'chữ ký sai: danh sách đã bị sửa / bad signature: the list was altered',
  stale: 'danh sách cũ hơn / an older list',
  'same-version': 'trùng phiên bản / the same version',
};

/** The `qrkiosk decode` result contract: the decode result without internal fields. */
export function toContract(result: DecodeResult): Record<string, unknown> {
  const { error, ...rest } = result as DecodeResult & { hcert?: unknown };
  delete (rest as { hcert?: unknown }).hcert;
  return error ? { ...rest, error: { code: error.code, message: error.message } } : rest;
}

export class UsageError extends Error {}

function parseAt(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const at = new Date(/([zZ]|[+-]\d{2}:?\d{2})$/.test(text) || !text.includes('T') ? text : `${text}Z`);
  if (Number.isNaN(at.getTime())) throw new UsageError(`--at: not an ISO-8601 time: ${text}`);
  return at;
}

function loadTrust(files: string[]): TrustStore {
  const store = new TrustStore();
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      throw new UsageError(
        `--trust ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    try {
      store.add(bytes, file);
    } catch (err) {
      throw new UsageError(`--trust ${(err as Error).message}`);
    }
  }
  return store;
}

/** `qrkiosk decode PAYLOAD`: exit 0 if ok, 1 if not, 2 on a usage error. */
export function decodeCommand(payload: string, lang: Lang, options: DecodeOptions): number {
  let at: Date | undefined;
  let trust: TrustStore;
  let revocation: RevocationCheck | undefined;
  let pass: PassContext | undefined;
  try {
    at = parseAt(options.at);
    trust = loadTrust(options.trust);
    revocation = loadRevocation(options.revocation, lang);
    if (payload.trim().startsWith('QRKP1:')) pass = loadPassContext(options, lang);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  const result = decodePayload(payload, {
    ...(at ? { at } : {}),
    trust,
    ...(revocation ? { revocation } : {}),
    ...(pass ? { pass } : {}),
  });
  process.stdout.write(
    options.json ? `${JSON.stringify(toContract(result))}\n` : humanReadable(result, lang),
  );
  return result.ok ? 0 : 1;
}

/** dd/MM/yyyy; a personal QR's starred parts stay starred (`12/**` + `/****`). */
function birthText(dob: string | null, parts: BirthParts | undefined): string | null {
  if (parts) {
    const show = (v: number | null, width: number) =>
      v === null ? '*'.repeat(width) : String(v).padStart(width, '0');
    return `${show(parts.day, 2)}/${show(parts.month, 2)}/${show(parts.year, 4)}`;
  }
  return dob === null ? null : dob.split('-').reverse().join('/');
}

function humanReadable(result: DecodeResult, lang: Lang): string {
  const l = (vi: string, en: string) => (lang === 'vi' ? vi : en);
  const lines = [
    `${result.kind}: ${result.ok ? l('hợp lệ', 'valid') : (result.error?.text[lang] ?? '')}${result.error ? ` (${result.error.code})` : ''}`,
  ];
  const id = result.identity;
  if (id) {
    lines.push(
      `  ${l('Số giấy tờ', 'Document no.')}: ${id.documentNumber}`,
      ...(id.formerNumber ? [`  ${l('Số CMND cũ', 'Former ID')}: ${id.formerNumber}`] : []),
      `  ${l('Họ tên', 'Name')}: ${id.name}`,
      `  ${l('Ngày sinh', 'Date of birth')}: ${birthText(id.dateOfBirth, result.personal?.birth) ?? l('không rõ (năm bị che)', 'unknown (year hidden)')}`,
      `  ${l('Giới tính', 'Sex')}: ${id.sex ?? '?'}`,
    );
  }
  if (result.pass) {
    const p = result.pass;
    lines.push(
      `  ${l('Mã thẻ', 'Pass id')}: ${p.passId}  ${l('phạm vi', 'scope')}: ${p.scope.kind} ${p.scope.id}`,
      `  ${l('Hiệu lực', 'Valid')}: ${p.validFrom} → ${p.validUntil}  ${l('khóa ký', 'signer key')}: ${p.keyId}`,
      `  ${l('Người giữ thẻ', 'Holder')}: ${p.holder}`,
    );
    // The holder's other keys (a CCCD's former CMND, a BHYT's BHXH): the card is looked up by them too.
    if (p.links.length) lines.push(`  ${l('Khóa khác', 'Other keys')}: ${p.links.join(' ')}`);
  }
  if (result.dcc) {
    const d = result.dcc;
    lines.push(
      `  ${l('Loại', 'Type')}: ${d.type ?? '?'}, ${l('chữ ký', 'signature')}: ${d.signature}, kid ${d.kid ?? '-'}`,
      `  ${l('Cấp', 'Issued')}: ${d.issuedAt ?? '?'}  ${l('Hết hạn', 'Expires')}: ${d.expiresAt ?? '?'}`,
      `  ${l('Chứng thư ký còn hiệu lực khi cấp', 'Signer valid at issue')}: ${d.signerValid ? l('có', 'yes') : l('không', 'no')}  ${l('Bị thu hồi', 'Revoked')}: ${d.revoked ? l('CÓ', 'YES') : l('không', 'no')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

interface JsonlRequest {
  payload: string;
  at?: string;
  trust?: string[];
  /** 16-byte hashes (base64) by type, for any KID: decode-revocation.ts. */
  revocation?: unknown;
}

/**
 * `qrkiosk decode --jsonl`: one request per stdin line, one result per stdout line, same order.
 * A malformed request gets an error result in its place; the stream never stops early.
 */
export async function decodeJsonl(
  baseTrustFiles: string[],
  revocationFile?: RevocationFileOptions,
  lang: Lang = 'vi',
): Promise<number> {
  let base: TrustStore;
  let fileRevocation: RevocationCheck | undefined;
  try {
    base = loadTrust(baseTrustFiles);
    fileRevocation = loadRevocation(revocationFile, lang);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const stores = new Map<string, TrustStore>();
  const storeFor = (trust: string[]): TrustStore => {
    if (trust.length === 0) return base;
    const key = trust.join('\n');
    let store = stores.get(key);
    if (!store) {
      store = new TrustStore();
      for (const f of baseTrustFiles) store.add(readFileSync(f), f);
      for (const [i, t] of trust.entries()) store.add(t, `trust[${i}]`);
      if (stores.size > 256) stores.clear();
      stores.set(key, store);
    }
    return store;
  };
  const input = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of input) {
    if (line.trim() === '') continue;
    process.stdout.write(`${JSON.stringify(answer(line, storeFor, fileRevocation))}\n`);
  }
  return 0;
}

function badRequest(message: string) {
  return { kind: 'unknown', ok: false, error: { code: 'bad-request', message } };
}

function answer(
  line: string,
  storeFor: (trust: string[]) => TrustStore,
  fileRevocation: RevocationCheck | undefined,
): Record<string, unknown> {
  let request: JsonlRequest;
  try {
    request = JSON.parse(line) as JsonlRequest;
  } catch (err) {
    return badRequest(`not JSON: ${(err as Error).message}`);
  }
  if (typeof request !== 'object' || request === null || typeof request.payload !== 'string')
    return badRequest('a request needs "payload" (string)');
  if (
    request.trust !== undefined &&
    !(Array.isArray(request.trust) && request.trust.every((t) => typeof t === 'string'))
  )
    return badRequest('"trust" must be an array of base64 DER or PEM strings');
  let at: Date | undefined;
  let trust: TrustStore;
  let revocation: RevocationCheck | undefined;
  try {
    at = parseAt(request.at);
    trust = storeFor(request.trust ?? []);
    revocation = anyOf([
      fileRevocation,
      request.revocation === undefined ? undefined : requestRevocation(request.revocation),
    ]);
  } catch (err) {
    return badRequest((err as Error).message);
  }
  return toContract(
    decodePayload(request.payload, { ...(at ? { at } : {}), trust, ...(revocation ? { revocation } : {}) }),
  );
}
