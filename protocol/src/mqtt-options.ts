/**
 * The one builder of mqtt.js connection options, for the kiosk's uplink and every hub connection.
 *
 * It returns a plain object that mqtt.js's `IClientOptions` accepts (structurally), so `protocol`
 * needs no dependency on mqtt: `connect(o.url, mqttOptions(o))`. Files (TLS) are passed in as bytes,
 * already read, so the builder stays pure and a missing file fails at the caller, where its setting
 * name is known.
 */
export interface MqttLogin {
  /** `mqtt://`, `mqtts://`, `ws://` or `wss://`; given to `connect(url, options)`, not in the options. */
  url: string;
  protocolVersion: 4 | 5;
  clientId?: string;
  /** Omitted when empty: an empty user name is not the same as none to every broker. */
  username?: string;
  /** Omitted when undefined (an empty string is a real, empty password). */
  password?: string;
  /** TLS: the broker's CA, and a client certificate and key where the broker authenticates by it. */
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface MqttWill {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** MQTT 5 only (dropped on 3.1.1): the broker waits this long before publishing the will. */
  delaySeconds?: number;
}

export interface MqttSession {
  /** Default true. False keeps a persistent session (queued QoS 1 messages while away). */
  clean?: boolean;
  /** MQTT 5 only: how long the broker keeps a non-clean session after a disconnect. */
  sessionExpirySeconds?: number;
  /** 0 turns mqtt.js's own reconnect off (one-shot CLI connections). */
  reconnectPeriod?: number;
  connectTimeout?: number;
  /** mqtt.js resubscribes by itself on reconnect unless false (the hub subscribes on every connect). */
  resubscribe?: boolean;
  will?: MqttWill;
}

/** What `mqttOptions` returns: the subset of mqtt.js `IClientOptions` that qrkiosk sets. */
export interface MqttConnectOptions extends Omit<MqttLogin, 'url'> {
  clean?: boolean;
  reconnectPeriod?: number;
  connectTimeout?: number;
  resubscribe?: boolean;
  properties?: { sessionExpiryInterval: number };
  will?: {
    topic: string;
    payload: Buffer;
    qos: 0 | 1 | 2;
    retain: boolean;
    properties?: { willDelayInterval: number };
  };
}

/**
 * mqtt.js options for `login` and `session`. MQTT-5-only fields (session expiry, will delay) are
 * left out on 3.1.1, where mqtt.js would refuse or ignore them.
 */
export function mqttOptions(login: MqttLogin, session: MqttSession = {}): MqttConnectOptions {
  const v5 = login.protocolVersion === 5;
  const { will } = session;
  return {
    protocolVersion: login.protocolVersion,
    ...(login.clientId !== undefined ? { clientId: login.clientId } : {}),
    ...(session.clean !== undefined ? { clean: session.clean } : {}),
    ...(v5 && session.sessionExpirySeconds !== undefined
      ? { properties: { sessionExpiryInterval: session.sessionExpirySeconds } }
      : {}),
    ...(session.reconnectPeriod !== undefined ? { reconnectPeriod: session.reconnectPeriod } : {}),
    ...(session.connectTimeout !== undefined ? { connectTimeout: session.connectTimeout } : {}),
    ...(session.resubscribe !== undefined ? { resubscribe: session.resubscribe } : {}),
    ...(will
      ? {
          will: {
            topic: will.topic,
            payload: will.payload,
            qos: will.qos,
            retain: will.retain,
            ...(v5 && will.delaySeconds !== undefined
              ? { properties: { willDelayInterval: will.delaySeconds } }
              : {}),
          },
        }
      : {}),
    ...(login.username ? { username: login.username } : {}),
    ...(login.password !== undefined ? { password: login.password } : {}),
    ...(login.ca ? { ca: login.ca } : {}),
    ...(login.cert ? { cert: login.cert } : {}),
    ...(login.key ? { key: login.key } : {}),
  };
}
