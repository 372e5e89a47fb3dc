import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { AccountsService } from '../../services/accounts.js';
import { createAccountInput, folderSelectionInput, testAccountInput, updateAccountInput } from '../../services/account-input.js';
import { viewerOf } from '../plugins/auth.js';
import { parseInput } from '../validation.js';
import { anyObject, apiDoc, listOf } from '../api-docs.js';

// A malformed id is simply not found, like another user's account.
const idParams = z.object({ id: z.string() });

/** Mail accounts (API.md "Resources"). Connection settings in, never a password out. */
export const accountRoutes: FastifyPluginAsync<{ accounts: AccountsService }> = async (app, { accounts }) => {
  const id = (params: unknown) => {
    const { id } = parseInput(idParams, params);
    return /^[0-9a-f-]{36}$/i.test(id) ? id.toLowerCase() : '00000000-0000-0000-0000-000000000000';
  };

  app.get('/accounts/presets', apiDoc({ summary: 'Provider presets (host, port, security) for the add-account form', response: { 200: listOf } }), async () => ({ items: accounts.presets() }));

  app.get('/accounts', apiDoc({ summary: 'The user’s mail accounts', response: { 200: listOf } }), async (req) => ({ items: await accounts.list(viewerOf(req).id) }));

  app.post('/accounts/test', apiDoc({ summary: 'Tests connection settings without saving them', body: testAccountInput }), async (req, reply) => {
    const body = parseInput(testAccountInput, req.body);
    // The test ends when the client goes away, so an abandoned request does not keep a socket open.
    const controller = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableEnded) controller.abort();
    };
    reply.raw.once('close', onClose);
    try {
      return await accounts.test(viewerOf(req).id, req.ip, body, controller.signal);
    } finally {
      reply.raw.off('close', onClose);
    }
  });

  app.post('/accounts', apiDoc({ summary: 'Adds an account (tested first)', body: createAccountInput, response: { 201: anyObject } }), async (req, reply) => {
    const body = parseInput(createAccountInput, req.body);
    return reply.status(201).send(await accounts.create(viewerOf(req).id, req.ip, body));
  });

  app.get('/accounts/:id', apiDoc({ summary: 'One account, with its last sync run (lastRun)', params: idParams, response: { 200: anyObject } }), async (req) => accounts.get(viewerOf(req).id, id(req.params)));

  app.patch('/accounts/:id', apiDoc({ summary: 'Changes an account', params: idParams, body: updateAccountInput, response: { 200: anyObject } }), async (req) => {
    const body = parseInput(updateAccountInput, req.body);
    return accounts.update(viewerOf(req).id, req.ip, id(req.params), body);
  });

  app.delete('/accounts/:id', apiDoc({ summary: 'Removes the account’s local data (the server is never touched)', params: idParams, response: { 204: 'Removed' } }), async (req, reply) => {
    await accounts.remove(viewerOf(req).id, id(req.params));
    return reply.status(204).send();
  });

  // A bare array, as API.md promises for folders.
  app.get('/accounts/:id/folders', apiDoc({ summary: 'The account’s folders (a bare array)', params: idParams, response: { 200: z.array(anyObject) } }), async (req) => accounts.folders(viewerOf(req).id, id(req.params)));

  app.patch('/accounts/:id/folders', apiDoc({ summary: 'Chooses the folders to sync', params: idParams, body: folderSelectionInput }), async (req) => {
    const body = parseInput(folderSelectionInput, req.body);
    return accounts.selectFolders(viewerOf(req).id, id(req.params), body.folders);
  });

  app.post('/accounts/:id/folders/refresh', apiDoc({ summary: 'Re-reads the folder list from the server', params: idParams }), async (req) => accounts.refreshFolders(viewerOf(req).id, id(req.params)));
};
