import { Redis } from 'ioredis';
import type { Logger } from '../../observability/logger.js';
import { fanOut, type JobSignal, type JobSignals } from '../embedded/signals.js';

/**
 * Redis pub/sub: every web and worker process subscribes on its own connection and sees every
 * signal (cancel a running job, events for a user's tabs). ioredis reconnects by itself; the channel
 * is subscribed again on every (re)connection, so a process started while Redis was away hears
 * signals once it is back. Missed events are covered by the snapshot a reconnecting browser receives.
 */
export function createRedisSignals(options: { url: string; prefix: string; logger: Logger }): JobSignals {
  const channel = `${options.prefix}:signals`;
  const out = fanOut();
  // Publishing fails at once while Redis is away instead of holding a job or a request for seconds.
  const publisher = new Redis(options.url, { connectionName: 'mailhelper-publish', enableOfflineQueue: false });
  const subscriber = new Redis(options.url, { connectionName: 'mailhelper-subscribe', autoResubscribe: false });
  let subscribed = false;
  let lastError = 'not connected yet';
  let firstSubscription: () => void = () => {};
  const subscribedOnce = new Promise<void>((resolve) => (firstSubscription = resolve));
  // ioredis reconnects on its own; without a listener an error event would end the process.
  publisher.on('error', () => {});
  subscriber.on('error', (err: Error) => {
    lastError = err.message;
    options.logger.debug({ err }, 'job signal subscriber error');
  });
  subscriber.on('close', () => (subscribed = false));
  subscriber.on('ready', () => {
    subscriber.subscribe(channel).then(
      () => {
        subscribed = true;
        firstSubscription();
      },
      (err: Error) => {
        lastError = err.message;
        options.logger.warn({ err }, 'job signals: subscribing failed; retrying on the next connection');
      },
    );
  });
  subscriber.on('message', (ch: string, payload: string) => {
    if (ch !== channel) return;
    try {
      out.emit(JSON.parse(payload) as JobSignal);
    } catch {
      options.logger.warn('ignored a malformed job signal');
    }
  });

  return {
    async publish(signal) {
      await publisher.publish(channel, JSON.stringify(signal));
    },
    subscribe: out.subscribe,
    async check() {
      // Right after start the first subscription may still be on its way.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([subscribedOnce, new Promise((resolve) => (timer = setTimeout(resolve, 2_000)))]);
      clearTimeout(timer);
      if (!subscribed) throw new Error(`job signal subscriber is not subscribed (${lastError})`);
      await publisher.ping();
    },
    async close() {
      subscriber.disconnect();
      await publisher.quit().catch(() => publisher.disconnect());
    },
  };
}
