/** Hosts whose QR codes are posted at a place's door for visitors' phones (2021 national systems). */
const LOCATION_HOSTS = ['tokhaiyte.vn', 'pccovid.gov.vn', 'bluezone.gov.vn', 'covid19.gov.vn'];

export function urlHost(text: string): string | null {
  if (!/^https?:\/\//i.test(text)) return null;
  try {
    return new URL(text).hostname.toLowerCase();
  } catch {
    return null;
  }
}

export function isLocationHost(host: string): boolean {
  return LOCATION_HOSTS.some((h) => host === h || host.endsWith(`.${h}`));
}
