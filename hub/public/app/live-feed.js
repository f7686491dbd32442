// The hub's live WebSocket (/live), one per page: a snapshot, then check-ins, kiosk states and
// telemetry of the user's scope. Views read `feed.state` and listen for changes; the header shows
// the connection. Close code 4401 means the session ended: the page goes back to the login form
// instead of reconnecting for ever.

const MAX_CHECKINS = 500;

export function createFeed({ onState, onSessionEnd }) {
  const state = { checkins: [], kiosks: new Map(), today: new Map(), ready: false };
  const listeners = new Set();
  let ws = null;
  let stopped = true;
  let retry = null;
  const emit = (m) => {
    for (const fn of listeners) fn(m);
  };
  const key = (site, kiosk) => `${site}/${kiosk}`;

  function onMessage(m) {
    if (m.type === 'snapshot') {
      state.checkins = m.checkins.slice(0, MAX_CHECKINS);
      state.kiosks = new Map(m.kiosks.map((k) => [key(k.site, k.kiosk), k]));
      state.today = new Map(m.today.map((s) => [s.site, s.n]));
      state.ready = true;
    } else if (m.type === 'checkin') {
      // Newest check-in time first, ties by id (as /api/checkins: ORDER BY at DESC, id DESC), not
      // arrival order: with many ingest lanes (and kiosks catching up) check-ins arrive out of order.
      const c = m.checkin;
      const at = Date.parse(c.at);
      const i = state.checkins.findIndex(
        (x) => Date.parse(x.at) < at || (Date.parse(x.at) === at && x.id < c.id),
      );
      state.checkins.splice(i < 0 ? state.checkins.length : i, 0, c);
      state.checkins.length = Math.min(state.checkins.length, MAX_CHECKINS);
      state.today.set(c.site, (state.today.get(c.site) ?? 0) + 1);
    } else if (m.type === 'tally') {
      // A verify-only site's scan: counted, never listed (it names nobody).
      state.today.set(m.site, (state.today.get(m.site) ?? 0) + 1);
    } else if (m.type === 'kiosk') {
      const k = key(m.site, m.kiosk);
      state.kiosks.set(k, { ...state.kiosks.get(k), ...m });
    } else if (m.type === 'telemetry') {
      const t = m.telemetry;
      const k = key(t.site, t.kiosk);
      state.kiosks.set(k, {
        state: 'online',
        lastSeen: t.at,
        ...state.kiosks.get(k),
        site: t.site,
        kiosk: t.kiosk,
        telemetry: t,
      });
    }
    emit(m);
  }

  function connect() {
    if (stopped) return;
    onState('connecting');
    ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/live`);
    ws.onopen = () => onState('connected');
    ws.onmessage = (e) => onMessage(JSON.parse(e.data));
    ws.onclose = (e) => {
      ws = null;
      if (stopped) return;
      if (e.code === 4401) {
        stop();
        onSessionEnd();
        return;
      }
      onState('disconnected');
      retry = setTimeout(connect, 2000);
    };
  }
  function stop() {
    stopped = true;
    clearTimeout(retry);
    ws?.close();
    ws = null;
    onState('off');
  }
  return {
    state,
    start() {
      if (!stopped) return;
      stopped = false;
      connect();
    },
    stop,
    /** Calls fn(message) after each message is applied to `state`; returns the unsubscribe. */
    listen(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
