import type { CheckinMessage } from '@qrkiosk/protocol';
import type { SiteCounts } from './storage/index.js';

/**
 * What a daily report and a trace are made of: the types the store fills, the views (report-view.ts)
 * print, and the one rule that sums sites into areas. Apart from both, so neither imports the other.
 */

export interface TraceVisit {
  visit: CheckinMessage;
  coVisitors: CheckinMessage[];
  /** The door sensor saw nobody go through (issue #19): listed "không vào", no stay, no co-visitors. */
  notEntered?: true;
}

export interface ReportSite extends SiteCounts {
  name: string;
  district: string;
  ward: string;
  kiosks: number;
}

export interface ReportArea {
  district: string;
  ward: string;
  sitesRegistered: number;
  sitesWithScans: number;
  scans: number;
  /** The follow-up list: sites of this area that scanned nothing that day. */
  sitesWithoutScans: string[];
  newKiosks: number;
}

export interface DailyReport {
  day: string;
  sites: ReportSite[];
  /** Per ward (within its district); sites nobody registered are under district "" / ward "". */
  areas: ReportArea[];
  sitesWithoutScans: string[];
  newKiosks: Array<{ site: string; kiosk: string }>;
}

/** Per ward (within its district): the numbers a province asks for, from the per-site rows. */
export function areasOf(
  sites: ReadonlyArray<ReportSite>,
  newKiosks: ReadonlyArray<{ site: string }>,
): ReportArea[] {
  const areas = new Map<string, ReportArea>();
  for (const s of sites) {
    const key = `${s.district}\u0000${s.ward}`;
    const a = areas.get(key) ?? {
      district: s.district,
      ward: s.ward,
      sitesRegistered: 0,
      sitesWithScans: 0,
      scans: 0,
      sitesWithoutScans: [],
      newKiosks: 0,
    };
    // Sites seen on MQTT but never registered have no area: they are counted, not "registered".
    if (s.district !== '') a.sitesRegistered++;
    if (s.scans > 0) a.sitesWithScans++;
    else a.sitesWithoutScans.push(s.site);
    a.scans += s.scans;
    a.newKiosks += newKiosks.filter((k) => k.site === s.site).length;
    areas.set(key, a);
  }
  return [...areas.values()].sort((a, b) =>
    a.district === b.district ? a.ward.localeCompare(b.ward) : a.district.localeCompare(b.district),
  );
}

/**
 * The kiosks a day's report counts: those that existed by the day's end, i.e. all of them but the
 * ones first seen later. A past day's report no longer counts kiosks installed since (it used today's
 * list). A kiosk from before first sightings were recorded (no first_seen) counts on every day.
 */
export function kiosksAsOf<K extends { site: string; kiosk: string }>(
  kiosks: ReadonlyArray<K>,
  firstSeenLater: ReadonlyArray<{ site: string; kiosk: string }>,
): K[] {
  const later = new Set(firstSeenLater.map((k) => `${k.site}/${k.kiosk}`));
  return kiosks.filter((k) => !later.has(`${k.site}/${k.kiosk}`));
}
