export * from './errors.js';
export * from './zone.js';
export * from './range.js';
export * from './plan.js';
export * from './sql.js';
export * from './trends.js';
export * from './service.js';
