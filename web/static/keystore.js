// The reviewer's Ed25519 key, made by WebCrypto as non-extractable and kept in IndexedDB: the
// browser can sign with it, nobody (this page's script included) can read it out.

const DB = "rledger-keys";
const STORE = "keys";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, action) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const request = action(tx.objectStore(STORE));
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export function b64(bytes) {
  let text = "";
  for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
  return btoa(text);
}

function unb64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

// { privateKey, publicKey (base64 of the raw 32 bytes) } for identity `who`, or undefined.
export function loadKey(who) {
  return run("readonly", (store) => store.get(who));
}

async function save(who, privateKey, publicRaw) {
  const record = { privateKey: privateKey, publicKey: b64(publicRaw) };
  await run("readwrite", (store) => store.put(record, who));
  return record;
}

export async function makeKey(who) {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
  return save(who, pair.privateKey, await crypto.subtle.exportKey("raw", pair.publicKey));
}

const PKCS8_ED25519_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

// The PKCS#8 DER of a key file: `rledger identity keygen`'s PRIVATE+KEY+name+keyid+base64
// (0x01, then the 32-byte seed), or a PEM "PRIVATE KEY".
function pkcs8(text) {
  const trimmed = text.trim();
  if (trimmed.startsWith("PRIVATE+KEY+")) {
    const raw = unb64(trimmed.split("+").slice(4).join("+"));
    if (raw.length !== 33 || raw[0] !== 1) throw new Error("not an Ed25519 signer key");
    return Uint8Array.from([...PKCS8_ED25519_PREFIX, ...raw.slice(1)]);
  }
  const match = trimmed.match(/-----BEGIN PRIVATE KEY-----([\s\S]+)-----END PRIVATE KEY-----/);
  if (!match) throw new Error("not a key file: expected rledger's PRIVATE+KEY+... or a PKCS#8 PEM");
  return unb64(match[1].replace(/\s+/g, ""));
}

export async function importKey(who, text) {
  const der = pkcs8(text);
  const algorithm = { name: "Ed25519" };
  // Kept: not extractable. The public half is read once from a second, transient import.
  const privateKey = await crypto.subtle.importKey("pkcs8", der, algorithm, false, ["sign"]);
  const transient = await crypto.subtle.importKey("pkcs8", der, algorithm, true, ["sign"]);
  const jwk = await crypto.subtle.exportKey("jwk", transient);
  der.fill(0);
  const x = jwk.x.replace(/-/g, "+").replace(/_/g, "/");
  return save(who, privateKey, unb64(x + "=".repeat((4 - (x.length % 4)) % 4)));
}

export async function sign(privateKey, bytes) {
  return b64(await crypto.subtle.sign({ name: "Ed25519" }, privateKey, bytes));
}
