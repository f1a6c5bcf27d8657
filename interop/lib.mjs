// Shared pieces of sign.mjs and verify.mjs: a closed document loader, stdin JSON, errors.
//
// The loader answers only
//   * the JSON-LD contexts the Python library bundles (openbadges/jsonld/contexts/), read from
//     the same files, so both sides canonicalise with byte-identical context documents;
//   * did:key DIDs and DID URLs, resolved offline by @digitalbazaar/did-method-key (the driver
//     the DCC verifier stack uses) with Ed25519 Multikey support;
//   * documents the caller hands in explicitly (`documents`: URL -> JSON, e.g. a did:web DID
//     document produced by our Python code); a `#fragment` URL returns the matching
//     verificationMethod entry of its document.
// Everything else throws and is recorded in `refused`, so a test can assert nothing was fetched.
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_CONTEXT_DIR = path.resolve(HERE, '..', 'openbadges', 'jsonld', 'contexts');

export async function readStdinJson() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if(!text.trim()) {
    throw new Error('expected a JSON request on stdin');
  }
  return JSON.parse(text);
}

export function errorInfo(error) {
  if(!error) {
    return null;
  }
  const info = {name: error.name, message: String(error.message ?? error)};
  if(error.details && typeof error.details === 'object') {
    try {
      info.details = JSON.parse(JSON.stringify(error.details));
    } catch{
      // details that do not serialise are dropped
    }
  }
  if(error.cause) {
    info.cause = errorInfo(error.cause);
  }
  if(Array.isArray(error.errors)) {
    info.errors = error.errors.map(errorInfo);
  }
  return info;
}

/**
 * Build the closed document loader.
 *
 * @param {object} options - Options.
 * @param {object} options.contexts - URL -> file name inside `contextDir` (the Python
 *   library's CONTEXT_FILES map).
 * @param {string} [options.contextDir] - Directory of the bundled context files.
 * @param {object} [options.documents] - URL -> JSON document (controller / DID documents).
 *
 * @returns {{documentLoader: Function, refused: string[], served: Set<string>}} The loader.
 */
export function createLoader({contexts, contextDir = DEFAULT_CONTEXT_DIR, documents = {}}) {
  if(!contexts || typeof contexts !== 'object' || !Object.keys(contexts).length) {
    throw new Error('"contexts" (URL -> bundled file name) is required');
  }
  const contextDocs = new Map();
  for(const [url, file] of Object.entries(contexts)) {
    const text = readFileSync(path.join(contextDir, file), 'utf8');
    contextDocs.set(url, JSON.parse(text));
  }
  const didKey = didKeyDriver();
  didKey.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});

  const refused = [];
  const served = new Set();
  const clone = value => structuredClone(value);
  const answer = (url, document) => {
    served.add(url);
    return {contextUrl: null, documentUrl: url, document: clone(document)};
  };

  async function documentLoader(url) {
    if(contextDocs.has(url)) {
      return answer(url, contextDocs.get(url));
    }
    if(url.startsWith('did:key:')) {
      return answer(url, await didKey.get({url}));
    }
    if(Object.hasOwn(documents, url)) {
      return answer(url, documents[url]);
    }
    const hash = url.indexOf('#');
    if(hash > 0 && Object.hasOwn(documents, url.slice(0, hash))) {
      const base = documents[url.slice(0, hash)];
      const methods = [].concat(base.verificationMethod ?? []);
      const fragment = url.slice(hash);
      const method = methods.find(m => m && (m.id === url ||
        (m.id === fragment && base.id === url.slice(0, hash))));
      if(method) {
        const ctx = [].concat(base['@context'] ?? []);
        return answer(url, {'@context': ctx, ...method, id: url});
      }
    }
    refused.push(url);
    const error = new Error(`document loader refused ${url} (not bundled, not did:key, ` +
      'not supplied by the caller); nothing is fetched');
    error.name = 'NotFoundError';
    throw error;
  }
  return {documentLoader, refused, served};
}

export function writeJson(value) {
  process.stdout.write(JSON.stringify(value) + '\n');
}

const PACKAGES = [
  '@digitalbazaar/vc', '@digitalbazaar/data-integrity',
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite', '@digitalbazaar/ed25519-multikey',
  '@digitalbazaar/did-method-key', 'jsonld', 'jsonld-signatures', 'rdf-canonize', 'jose'
];

export function installedVersions() {
  // what is installed (node_modules), which a test compares with package-lock.json
  const versions = {};
  for(const name of PACKAGES) {
    try {
      const file = path.join(HERE, 'node_modules', name, 'package.json');
      versions[name] = JSON.parse(readFileSync(file, 'utf8')).version;
    } catch{
      versions[name] = null;
    }
  }
  return versions;
}

export function withoutProof(document) {
  const {proof, ...rest} = document; // eslint-disable-line no-unused-vars
  return rest;
}
