"""The reviewers' and auditors' web app, an edge above the HTTP API (docs/operations.md, "The web app").

Server-rendered pages (Jinja2) over the same services the API and the CLI use; the only
script signs statements in the browser with a non-extractable WebCrypto Ed25519 key, so the
server (run by the operator) never sees a private key. ``web.app.create_app`` adds the pages
to the API's application; ``rledger serve`` runs ``web.app:app_from_environment``.
"""
