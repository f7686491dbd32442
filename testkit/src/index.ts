export * from './mosquitto.js';
export * from './net.js';
export * from './tmp.js';
