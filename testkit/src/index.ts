export * from './browser.js';
export * from './fixtures.js';
export * from './mosquitto.js';
export * from './net.js';
export * from './postgres.js';
export * from './shared.js';
export * from './tmp.js';
export * from './tmpfs.js';
