export * from './checkin.js';
export * from './mask.js';
export * from './topics.js';
export * from './validate.js';
export * from './vn-time.js';
export * from './vocabulary.js';
