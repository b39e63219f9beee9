"""The API server: the only way into the store (authn, authz, admission, validation, store)."""
