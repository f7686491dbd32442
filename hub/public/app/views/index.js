// The page's views in tab order (each a module exporting `view`, see ../ctx.js for what it gets).
import { view as alerts } from './alerts.js';
import { view as kiosk } from './kiosk.js';
import { view as kiosks } from './kiosks.js';
import { view as live } from './live.js';
import { view as passes } from './passes.js';
import { view as reports } from './reports.js';
import { view as tracing } from './tracing.js';
import { view as updates } from './updates.js';
import { view as users } from './users.js';

export const VIEWS = [live, kiosks, reports, tracing, passes, alerts, updates, users];
/** Routes reached by link, not by a tab (#/kiosk/<id>: under the Kiosk tab). */
export const ROUTES = [kiosk];
