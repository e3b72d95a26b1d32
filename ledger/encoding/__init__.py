"""Exact numbers and canonical JSON bytes: the two encodings every hashed entry depends on."""
