// RFC 8785 (JSON Canonicalization Scheme) for the values signed statements hold: objects,
// arrays, strings, booleans, null and finite numbers. Members are sorted by UTF-16 code units
// (JavaScript's default sort order, which RFC 8785 section 3.2.3 specifies); strings and numbers
// are serialised as ECMAScript's JSON.stringify does, which is RFC 8785's definition.
// tests/web/test_jcs.py checks the bytes against the ledger's Python canonicaliser.

export function canonicalize(value) {
  if (value === null || typeof value === "boolean" || typeof value === "string") {
    return JSON.stringify(value);
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error("RFC 8785 has no form for " + value);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return "[" + value.map(canonicalize).join(",") + "]";
  }
  if (typeof value === "object") {
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalize(value[k])).join(",") + "}";
  }
  throw new Error("cannot canonicalise a " + typeof value);
}

export function canonicalBytes(value) {
  return new TextEncoder().encode(canonicalize(value));
}

// The exact message a statement's author signs (docs/formats.md section 4): the envelope from
// ledger format 4 (origin given), the bare signed part before it (origin null). The signed part
// is the payload without "signature" and "attestation"; lifecycle statements carry no computed
// members (those are the decision's alone).
export function statementBytes(kind, payload, origin) {
  const part = {};
  for (const [k, v] of Object.entries(payload)) {
    if (k !== "signature" && k !== "attestation") part[k] = v;
  }
  if (origin === null) return canonicalBytes(part);
  return canonicalBytes({ context: "release-ledger/statement", kind: kind, origin: origin, payload: part });
}
