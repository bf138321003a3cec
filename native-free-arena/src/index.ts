export * from './arena.js';
export * from './dashtable.js';
