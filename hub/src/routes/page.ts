import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { fail } from './access.js';

const PUBLIC = fileURLToPath(new URL('../../public/', import.meta.url));

/**
 * The page's content security policy. Scripts and styles come only from the hub's own files
 * (hub/public/app/*): no inline script, no eval. `style-src 'self'` alone still lets the scripts set
 * sizes through the CSSOM (element.style.height), which the chart's bars use; no style attribute is
 * written as text. Images: the hub's own (the enrolment QR is parsed SVG, inserted as nodes).
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};

/** Every file under a folder, by its path relative to it with '/' separators (read once, at start). */
function filesUnder(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !TYPES[extname(entry.name)]) continue;
    const full = join(entry.parentPath, entry.name);
    files.set(relative(dir, full).split(sep).join('/'), readFileSync(full));
  }
  return files;
}

/**
 * The page: index.html at `/` and its ES modules and style sheet at `/app/<file>`. The files are read
 * once when the hub starts and served from memory: a URL can only name a file that was listed then,
 * so no path (`..`, encoded or not) reaches the disk. No build step: what is in hub/public is served.
 */
export function pageRoutes(app: FastifyInstance): void {
  const page = readFileSync(join(PUBLIC, 'index.html'), 'utf8');
  const files = filesUnder(join(PUBLIC, 'app'));
  const publicAccess = { config: { access: { who: 'public' as const } } };
  // The page reads no query, so one added by a link (a tracker's ?utm=) is ignored.
  app.get('/', publicAccess, (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', PAGE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-cache')
      .send(page),
  );
  app.get<{ Params: { '*': string } }>('/app/*', publicAccess, (req, reply) => {
    const name = req.params['*'];
    const body = files.get(name);
    if (!body) return fail(reply, 404, 'Không có tệp này', 'No such file');
    return (
      reply
        .type(TYPES[extname(name)] ?? 'application/octet-stream')
        .header('x-content-type-options', 'nosniff')
        // Revalidated on each load: after an upgrade of the hub the page never mixes old and new modules.
        .header('cache-control', 'no-cache')
        .send(body)
    );
  });
}
