import { Redis } from 'ioredis';
import type { Logger } from '../../observability/logger.js';
import { fanOut, type JobSignal, type JobSignals } from '../embedded/signals.js';

/**
 * Redis pub/sub: every web and worker process subscribes on its own connection and sees every
 * signal (cancel a running job, events for a user's tabs). ioredis reconnects and resubscribes by
 * itself; missed events are covered by the snapshot a reconnecting browser receives.
 */
export function createRedisSignals(options: { url: string; prefix: string; logger: Logger }): JobSignals {
  const channel = `${options.prefix}:signals`;
  const out = fanOut();
  const publisher = new Redis(options.url, { lazyConnect: true, connectionName: 'mailhelper-publish' });
  const subscriber = new Redis(options.url, { lazyConnect: true, connectionName: 'mailhelper-subscribe' });
  // ioredis reconnects on its own; without a listener an error event would end the process.
  publisher.on('error', () => {});
  subscriber.on('error', (err) => options.logger.debug({ err }, 'job signal subscriber error'));
  subscriber.on('message', (ch: string, payload: string) => {
    if (ch !== channel) return;
    try {
      out.emit(JSON.parse(payload) as JobSignal);
    } catch {
      options.logger.warn('ignored a malformed job signal');
    }
  });
  const started = Promise.all([publisher.connect(), subscriber.connect().then(() => subscriber.subscribe(channel))]).catch((err: Error) => {
    options.logger.warn({ err }, 'job signals: Redis is not reachable yet; retrying');
  });

  return {
    async publish(signal) {
      await publisher.publish(channel, JSON.stringify(signal));
    },
    subscribe: out.subscribe,
    async check() {
      await started;
      if (subscriber.status !== 'ready') throw new Error(`job signal subscriber is ${subscriber.status}`);
      await publisher.ping();
    },
    async close() {
      await started;
      subscriber.disconnect();
      await publisher.quit().catch(() => publisher.disconnect());
    },
  };
}
