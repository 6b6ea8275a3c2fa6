export * from './formula.js';
export * from './mapping.js';
export * from './evaluate.js';
export * from './store.js';
