#!/usr/bin/env node
// Issue credentials with the Digital Bazaar / DCC JavaScript stack (eddsa-rdfc-2022).
//
// stdin (JSON):
//   {
//     "contexts": {URL: file name in openbadges/jsonld/contexts/},   required
//     "contextDir": "...",                optional
//     "documents": {URL: JSON},           optional (see lib.mjs)
//     "seed": "<64 hex chars>",           the 32-byte Ed25519 seed
//     "created": "2024-01-01T00:00:00Z",  the proof's `created`
//     "controller": "did:key:..."         optional; defaults to the did:key of the seed's key.
//                                          The verificationMethod is `<controller>#<z6Mk...>`.
//     "credentials": [{"name": "...", "credential": {...unsigned...}}]
//   }
// stdout (JSON, one line):
//   {
//     "publicKeyMultibase": "z6Mk...", "verificationMethod": "...",
//     "credentials": [{"name", "signed" | null, "error", "canonicalDocument", "canonicalProof"}],
//     "refused": [...], "served": [...], "versions": {...}
//   }
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as vc from '@digitalbazaar/vc';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';

import {
  createLoader, errorInfo, installedVersions, readStdinJson, withoutProof, writeJson
} from './lib.mjs';

function seedBytes(hex) {
  if(typeof hex !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new Error('"seed" must be 64 hex characters (a 32-byte Ed25519 seed)');
  }
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

async function main() {
  const request = await readStdinJson();
  const {documentLoader, refused, served} = createLoader(request);
  const seed = seedBytes(request.seed);
  const probe = await Ed25519Multikey.generate({seed});
  const controller = request.controller ?? `did:key:${probe.publicKeyMultibase}`;
  const keyPair = await Ed25519Multikey.generate({seed, controller});
  const created = request.created ?? null;

  const credentials = [];
  for(const {name, credential} of request.credentials ?? []) {
    const suite = new DataIntegrityProof({
      signer: keyPair.signer(), cryptosuite: eddsaRdfc2022CryptoSuite,
      ...(created ? {date: created} : {})
    });
    const entry = {name, signed: null, error: null, canonicalDocument: null,
      canonicalProof: null};
    try {
      const signed = await vc.issue({
        credential: structuredClone(credential), suite, documentLoader
      });
      entry.signed = signed;
      entry.canonicalDocument = await suite.canonize(withoutProof(signed),
        {documentLoader, base: null, safe: true});
      entry.canonicalProof = await suite.canonizeProof(structuredClone(signed.proof),
        {document: signed, documentLoader});
    } catch(error) {
      entry.error = [errorInfo(error)];
    }
    credentials.push(entry);
  }
  writeJson({
    publicKeyMultibase: keyPair.publicKeyMultibase,
    verificationMethod: keyPair.id,
    credentials, refused, served: [...served].sort(), versions: installedVersions()
  });
}

main().catch(error => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
