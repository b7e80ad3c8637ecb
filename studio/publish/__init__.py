"""Publishing to Instagram, Facebook Pages and Pinterest (no Qt here).

Shared plumbing lives in this package so every platform client behaves the same way:

- `errors`   — `PublishError` and its subclasses, plus parsers for Meta's and Pinterest's error JSON.
- `http`     — `ApiSession`: base URLs, timeouts, safe retries, usage headers, per-account rate limiting.
- `redact`   — scrubs tokens from log records, exception text and reports.
- `secrets`  — `SecretStore` over the OS keyring, with an opt-in encrypted-file fallback.
- `oauth`    — authorization-code flow through the system browser and a loopback redirect.
- `accounts` — the registry of connected accounts (no secrets in it).

The platform clients (`instagram`, `facebook`, `pinterest`) and the outbox build on these.
"""
