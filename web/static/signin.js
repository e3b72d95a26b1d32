// An enrolment link, https://HOST/signin#enrol=rlt_..., carries a token an admin created for a
// new reviewer. The fragment never reaches the server or its logs; this fills the form with it,
// removes it from the address bar and history, and signs in, going on to make a key.
const match = location.hash.match(/^#enrol=(rlt_[A-Za-z0-9_-]+)$/);
if (match) {
  history.replaceState(null, "", location.pathname);
  const form = document.getElementById("signin-form");
  document.getElementById("token").value = match[1];
  document.getElementById("after").value = "/keys";
  form.requestSubmit();
}
