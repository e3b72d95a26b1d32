import { importKey, loadKey, makeKey } from "./keystore.js";

const who = document.querySelector('meta[name="rledger-identity"]').content;
const registered = document.getElementById("registered-key").textContent.trim();
const status = document.getElementById("key-status");
const make = document.getElementById("make-key");
const file = document.getElementById("import-key");

function show(record) {
  if (!record) return;
  document.getElementById("browser-key").textContent = record.publicKey;
  document.getElementById("enrol-key").textContent = record.publicKey;
  document.getElementById("key-match").textContent =
    record.publicKey === registered
      ? "yes: the ledger holds this browser's key; you can sign here"
      : "no: ask an admin to register this browser's key (below)";
}

async function run(action, done) {
  try {
    show(await action());
    status.textContent = done;
  } catch (error) {
    status.textContent = "Failed: " + error.message;
  }
}

make.addEventListener("click", () => {
  if (make.dataset.confirm !== "yes" && document.getElementById("browser-key").textContent !== "none yet") {
    make.dataset.confirm = "yes";
    status.textContent = "This browser already has a key. Press again to replace it.";
    return;
  }
  run(() => makeKey(who), "A new key was made in this browser. Give its public key to an admin.");
});
file.addEventListener("change", () => {
  const chosen = file.files[0];
  if (chosen) run(async () => importKey(who, await chosen.text()), "The key file was imported into this browser.");
});

loadKey(who).then(show, (error) => { status.textContent = "Cannot open the key store: " + error.message; });
make.disabled = false;
file.disabled = false;
