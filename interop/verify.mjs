#!/usr/bin/env node
// Verify credentials with the Digital Bazaar / DCC JavaScript stack.
//
// stdin (JSON):
//   {
//     "contexts":  {URL: file name in openbadges/jsonld/contexts/},   required
//     "contextDir": "...",                 optional, defaults to ../openbadges/jsonld/contexts
//     "documents": {URL: JSON},            optional controller / DID documents (did:web, https)
//     "now": "2025-01-01T00:00:00Z",       optional clock for validFrom/validUntil checks
//     "credentials": [{"name": "...", "credential": {...signed...}}],
//     "jwts": [{"name": "...", "token": "h.p.s", "alg": "EdDSA", "jwk": {...} | null}]
//   }
//   A JWT entry without "jwk" is verified with the key in its own `jwk` header (jose EmbeddedJWK).
//
// stdout (JSON, one line):
//   {
//     "credentials": [{"name", "verified", "error", "canonicalDocument", "canonicalProof",
//                      "statusChecked"}],
//     "jwts": [{"name", "verified", "error", "header", "payload", "claims": {...}}],
//     "refused": [URLs the loader refused], "served": [URLs it answered],
//     "versions": {package: version}
//   }
// Exit code 0 when the request was processed (whatever the verdicts), 2 on a bad request.
import * as vc from '@digitalbazaar/vc';
import * as jose from 'jose';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';

import {
  createLoader, errorInfo, installedVersions, readStdinJson, withoutProof, writeJson
} from './lib.mjs';

async function canonicalForms(credential, documentLoader) {
  // The exact transformation the suite signs: RDFC-1.0 over jsonld.js toRDF in safe mode.
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
  const out = {canonicalDocument: null, canonicalProof: null, canonicalError: null};
  try {
    out.canonicalDocument = await suite.canonize(withoutProof(credential),
      {documentLoader, base: null, safe: true});
    const proofs = [].concat(credential.proof ?? []);
    if(proofs.length === 1 && proofs[0] && typeof proofs[0] === 'object') {
      out.canonicalProof = await suite.canonizeProof(structuredClone(proofs[0]),
        {document: credential, documentLoader});
    }
  } catch(error) {
    out.canonicalError = errorInfo(error);
  }
  return out;
}

async function verifyCredentialEntry({name, credential}, {documentLoader, now}) {
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
  let statusChecked = false;
  // Status lists are not what this harness tests (it has no network); the check is a stub
  // that records it was reached, which only happens after the proof verified.
  const checkStatus = async () => {
    statusChecked = true;
    return {verified: true};
  };
  const result = await vc.verifyCredential({
    credential: structuredClone(credential), suite, documentLoader, checkStatus,
    ...(now ? {now} : {})
  });
  const errors = [];
  if(result.error) {
    errors.push(errorInfo(result.error));
  }
  for(const r of result.results ?? []) {
    if(r.error) {
      errors.push(errorInfo(r.error));
    }
  }
  return {
    name,
    verified: result.verified === true,
    error: errors.length ? errors : null,
    statusChecked,
    ...(await canonicalForms(credential, documentLoader))
  };
}

function claimChecks(payload) {
  // The OB 3.0 VC-JWT claim mapping (integrity.md), checked independently of our Python code.
  const credential = payload.vc ?? payload;
  const issuer = credential.issuer;
  const issuerId = typeof issuer === 'string' ? issuer : issuer?.id;
  const subject = [].concat(credential.credentialSubject ?? [])[0] ?? {};
  const nbfOf = text => (text ? Math.floor(Date.parse(text) / 1000) : undefined);
  return {
    iss: payload.iss === issuerId,
    jti: payload.jti === credential.id,
    sub: payload.sub === subject.id,
    nbf: payload.nbf === nbfOf(credential.validFrom ?? credential.issuanceDate),
    exp: (credential.validUntil ?? credential.expirationDate) === undefined ?
      payload.exp === undefined :
      payload.exp === nbfOf(credential.validUntil ?? credential.expirationDate)
  };
}

async function verifyJwtEntry({name, token, alg, jwk}, {now}) {
  const options = {algorithms: [alg]};
  if(now) {
    options.currentDate = new Date(now);
  }
  try {
    const key = jwk ? await jose.importJWK(jwk, alg) : jose.EmbeddedJWK;
    const {payload, protectedHeader} = await jose.jwtVerify(token, key, options);
    return {
      name, verified: true, error: null, header: protectedHeader, payload,
      claims: claimChecks(payload)
    };
  } catch(error) {
    return {name, verified: false, error: [errorInfo(error)], header: null, payload: null,
      claims: null};
  }
}

async function main() {
  let request;
  try {
    request = await readStdinJson();
  } catch(error) {
    process.stderr.write(`bad request: ${error.message}\n`);
    process.exit(2);
  }
  const {documentLoader, refused, served} = createLoader(request);
  const now = request.now;
  const credentials = [];
  for(const entry of request.credentials ?? []) {
    credentials.push(await verifyCredentialEntry(entry, {documentLoader, now}));
  }
  const jwts = [];
  for(const entry of request.jwts ?? []) {
    jwts.push(await verifyJwtEntry(entry, {now}));
  }
  writeJson({
    credentials, jwts, refused, served: [...served].sort(), versions: installedVersions()
  });
}

main().catch(error => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
