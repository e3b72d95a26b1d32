import { statementBytes } from "./jcs.js";
import { loadKey, sign } from "./keystore.js";

const who = document.querySelector('meta[name="rledger-identity"]').content;
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const request = JSON.parse(document.getElementById("statement").textContent);
const button = document.getElementById("sign-button");
const status = document.getElementById("sign-status");
const p = request.payload;

// What is shown is read from the statement that will be signed, not from elsewhere on the page.
const text = (id, value) => { document.getElementById(id).textContent = value; };
text("what-release", p.model + "@" + p.version);
text("what-decision", p.decision);
text("what-kind", request.kind);
if (request.kind === "release.approval") {
  text("what-action", p.verdict);
  text("what-role", p.role);
}
if (request.kind === "release.promoted") text("what-action", p.break_glass ? "EMERGENCY break-glass promotion" : "promotion");
if (request.kind === "release.rolled_back") text("what-action", "roll back to " + p.to_version);
text("what-signer", p.approver || p.actor);

async function submit() {
  button.disabled = true;
  status.textContent = "Signing…";
  const key = await loadKey(who);
  if (!key) {
    status.textContent = "This browser has no key for " + who + ". Make or import one under My key.";
    return;
  }
  if (key.publicKey !== button.dataset.registered) {
    // The ledger would refuse it: say why now, before anything is signed or sent.
    status.textContent = "This browser's key is not the one the ledger holds for " + who +
      ". Ask an admin to register it (My key shows it), or import your registered key file.";
    button.disabled = false;
    return;
  }
  const signature = await sign(key.privateKey, statementBytes(request.kind, p, request.origin));
  const answer = await fetch(button.dataset.post, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify({ kind: request.kind, statement: { ...p, signature: signature } }),
    credentials: "same-origin",
  });
  const body = await answer.json();
  if (answer.ok) {
    status.textContent = "Recorded as entry " + body.seq + " (" + body.hash + "). ";
    const link = document.createElement("a");
    link.href = "/decisions/" + p.decision;
    link.textContent = "Back to the decision";
    link.id = "done-link";
    status.append(link);
    link.focus();
  } else {
    status.textContent = "Refused: " + body.detail;
    status.classList.add("error");
    button.disabled = false;
  }
}

button.addEventListener("click", () => submit().catch((error) => {
  status.textContent = "Failed: " + error.message;
  button.disabled = false;
}));
button.disabled = false;
