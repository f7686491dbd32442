import { describe, expect, it } from 'vitest';
import { mqttOptions } from '../src/mqtt-options.js';

describe('mqttOptions', () => {
  const will = {
    topic: 't/state',
    payload: Buffer.from('offline'),
    qos: 1 as const,
    retain: true,
    delaySeconds: 30,
  };

  it('MQTT 5: session expiry and will delay as properties; login and TLS passed through', () => {
    const ca = Buffer.from('ca');
    expect(
      mqttOptions(
        { url: 'mqtts://h:8883', protocolVersion: 5, clientId: 'c', username: 'u', password: '', ca },
        { clean: false, sessionExpirySeconds: 60, reconnectPeriod: 0, will },
      ),
    ).toEqual({
      protocolVersion: 5,
      clientId: 'c',
      clean: false,
      properties: { sessionExpiryInterval: 60 },
      reconnectPeriod: 0,
      will: {
        topic: 't/state',
        payload: Buffer.from('offline'),
        qos: 1,
        retain: true,
        properties: { willDelayInterval: 30 },
      },
      username: 'u',
      password: '',
      ca,
    });
  });

  it('MQTT 3.1.1: no MQTT 5 properties; an empty user name and absent files are left out', () => {
    const o = mqttOptions(
      { url: 'mqtt://h', protocolVersion: 4, username: '' },
      { sessionExpirySeconds: 60, will },
    );
    expect(o).not.toHaveProperty('properties');
    expect(o.will).not.toHaveProperty('properties');
    expect(o).not.toHaveProperty('username');
    expect(o).not.toHaveProperty('password');
    expect(o).not.toHaveProperty('ca');
    expect(o.protocolVersion).toBe(4);
  });
});
