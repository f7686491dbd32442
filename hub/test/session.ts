/** Logs in to a hub's page API as a browser would: the session cookie and the CSRF token. */
export async function logIn(
  address: string,
  phone: string,
  password: string,
): Promise<{ cookie: string; csrf: string }> {
  const r = await fetch(`${address}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phone, password }),
  });
  return {
    cookie: (r.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
    csrf: ((await r.json()) as { csrf?: string }).csrf ?? '',
  };
}
