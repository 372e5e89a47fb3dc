/** The BullMQ back-end (PostgreSQL + Redis), loaded only when REDIS_URL is set. */
export { createDoorbells, type Doorbells } from './doorbells.js';
export { createRedisSignals } from './signals.js';
