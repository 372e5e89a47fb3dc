import { describe, expect, it } from 'vitest';
import { classifyAddress, resolveMailHost } from '../../../src/mail/imap/network-guard.js';

describe('network guard', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.20.30.40', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['100.128.0.1', 'public'],
    ['224.0.0.1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fd00::1', 'unique-local'],
    ['fc12:3456::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:7f00:1', 'loopback'],
    ['64:ff9b::a00:1', 'private'],
    ['2a00:1450:4001:80b::200e', 'public'],
  ])('%s is %s', (ip, kind) => {
    expect(classifyAddress(ip)).toBe(kind);
  });

  it('picks an allowed answer and prefers IPv4, refusing only when none is allowed', async () => {
    const lookup = async () => [
      { address: '::1', family: 6 },
      { address: '93.184.216.34', family: 4 },
    ];
    expect(await resolveMailHost('mixed.example', { allowPrivate: false }, lookup)).toMatchObject({ address: '93.184.216.34', kind: 'public' });
    const onlyPrivate = async () => [{ address: '192.168.0.2', family: 4 }];
    await expect(resolveMailHost('lan.example', { allowPrivate: false }, onlyPrivate)).rejects.toMatchObject({ stage: 'blocked' });
    expect(await resolveMailHost('lan.example', { allowPrivate: true }, onlyPrivate)).toMatchObject({ address: '192.168.0.2' });
  });

  it('checks literal addresses without DNS, bracketed IPv6 too', async () => {
    const lookup = async () => {
      throw new Error('must not resolve');
    };
    await expect(resolveMailHost('[::1]', { allowPrivate: false }, lookup)).rejects.toMatchObject({ stage: 'blocked' });
    expect(await resolveMailHost('[::1]', { allowPrivate: true }, lookup)).toMatchObject({ address: '::1', kind: 'loopback' });
  });
});
