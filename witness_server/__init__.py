"""The witness's HTTP edge: C2SP tlog-witness ``POST /add-checkpoint`` (``rledger witness serve``)."""
