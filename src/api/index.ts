export * from './app.js';
export * from './auth.js';
export * from './csv.js';
export * from './errors.js';
export * from './server.js';
export * from './token.js';
